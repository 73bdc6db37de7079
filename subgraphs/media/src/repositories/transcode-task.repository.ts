import type { EntityManager } from '@mikro-orm/core';
import { TaskListing, type TaskRecord } from '@learnhub/platform/tasks';
import type { TaskState } from '@learnhub/platform/tasks';
import { TaskTable } from '@learnhub/platform/tasks';
import { MediaProcess, transcodeTasks } from '../entities/media-process.entity';
import { MediaProcessHistory } from '../entities/media-process-history.entity';

type TranscodeFields = { fileMd5: string };

/** A transcoding task as stored, live (`media_process`) or succeeded (`media_process_history`). */
export type TranscodeTaskRecord = TaskRecord & TranscodeFields;

export interface TranscodeTaskListFilter {
  state?: TaskState;
  fileMd5?: string;
}

const ownFields = (task: MediaProcess | MediaProcessHistory): TranscodeFields => ({ fileMd5: task.fileMd5 });

/** Transcoding tasks as people operate them: listed across both tables, retried, cancelled. */
export class TranscodeTaskRepository {
  private readonly tasks: TaskListing<MediaProcess, MediaProcessHistory, TranscodeFields>;

  constructor(private readonly em: EntityManager) {
    this.tasks = new TaskListing<MediaProcess, MediaProcessHistory, TranscodeFields>(em, {
      live: MediaProcess,
      finished: MediaProcessHistory,
      ownOfLive: ownFields,
      ownOfFinished: ownFields,
    });
  }

  /**
   * One page of the tasks matching `filter`, and how many match: live tasks newest first, then
   * succeeded ones newest first, as if the two tables were one list.
   */
  page(filter: TranscodeTaskListFilter, offset: number, limit: number): Promise<[TranscodeTaskRecord[], number]> {
    const { state, fileMd5 } = filter;
    return this.tasks.page({ state, where: fileMd5 ? { fileMd5 } : {} }, offset, limit);
  }

  /** The task with this row id, live or succeeded. */
  find(id: string): Promise<TranscodeTaskRecord | undefined> {
    return this.tasks.find(id);
  }

  /** Queues a failed or cancelled task again with its attempts counted from zero; CONFLICT or NOT_FOUND otherwise. */
  retry(id: string): Promise<void> {
    return new TaskTable(this.em, transcodeTasks).retry(id);
  }

  /** Stops a task that has not finished, taking its lease from any worker; CONFLICT or NOT_FOUND otherwise. */
  cancel(id: string, reason: string): Promise<void> {
    return new TaskTable(this.em, transcodeTasks).cancel(id, reason);
  }
}
