import { requireRole, requireSignedIn } from '@learnhub/platform/auth';
import type { Viewer } from '@learnhub/platform/auth';
import { isRowId } from '@learnhub/platform/database';
import { badInput, notFound } from '@learnhub/platform/errors';
import type { PageRequest } from '@learnhub/platform/graphql';
import { taskTimes, type TaskTimes } from '@learnhub/platform/tasks';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import type { TaskState } from '@learnhub/platform/tasks';
import { transcodeTasks } from '../entities/media-process.entity';
import type { TranscodeTaskRecord, TranscodeTaskRepository } from '../repositories/transcode-task.repository';
import { isMd5 } from '../rules/md5';

/** A transcoding task as admins see it: the stored record, with its times as dates. */
export type TranscodeTaskView = Omit<TranscodeTaskRecord, 'leaseUntilMs' | 'runAtMs' | 'finishedAtMs'> & TaskTimes;

export interface TranscodeTaskFilterInput {
  state?: TaskState;
  fileMd5?: string;
}

function viewOf(task: TranscodeTaskRecord, nowMs: number): TranscodeTaskView {
  const { runAtMs: _runAt, leaseUntilMs: _leaseUntil, finishedAtMs: _finishedAt, ...rest } = task;
  return { ...rest, ...taskTimes(task, nowMs) };
}

/** Only a row id can name a task; checked before any SQL, which PostgreSQL would refuse to cast. */
function checkedId(id: string): string {
  if (!isRowId(id)) {
    throw badInput('id must be the id of a transcoding task (a positive whole number, as transcodeTasks lists them).', {
      fields: [{ field: 'id', message: 'must be a positive whole number' }],
    });
  }
  return id;
}

function admin(viewer: Viewer): string {
  requireSignedIn(viewer);
  requireRole(viewer, 'admin');
  return viewer.userId;
}

/** Transcoding tasks for admins: see what waits, runs and failed; retry or cancel a task. */
export class TranscodeTaskService {
  constructor(
    private readonly tasks: TranscodeTaskRepository,
    private readonly wakeup: Pick<TaskWakeup, 'notify'>,
  ) {}

  /** Tasks matching the filter: live ones newest first, then succeeded ones newest first. */
  async list(
    viewer: Viewer,
    filter: TranscodeTaskFilterInput,
    page: PageRequest,
  ): Promise<{ items: TranscodeTaskView[]; total: number }> {
    admin(viewer);
    const fileMd5 = filter.fileMd5?.trim().toLowerCase() || undefined;
    if (fileMd5 !== undefined && !isMd5(fileMd5)) {
      throw badInput('filter.fileMd5 must be an MD5: 32 hexadecimal digits.', {
        fields: [{ field: 'filter.fileMd5', message: 'must be 32 hexadecimal digits' }],
      });
    }
    const [tasks, total] = await this.tasks.page({ state: filter.state, fileMd5 }, page.offset, page.limit);
    const now = Date.now();
    return { items: tasks.map((task) => viewOf(task, now)), total };
  }

  /** Queues a FAILED or CANCELLED task again with a fresh set of attempts, and wakes the workers. */
  async retry(viewer: Viewer, id: string): Promise<TranscodeTaskView> {
    admin(viewer);
    const taskId = checkedId(id);
    await this.tasks.retry(taskId);
    await this.wakeup.notify(transcodeTasks.queue);
    return this.reload(taskId);
  }

  /** Stops a PENDING, PROCESSING or FAILED task; a worker running it stops at its next lease renewal. */
  async cancel(viewer: Viewer, id: string): Promise<TranscodeTaskView> {
    const userId = admin(viewer);
    const taskId = checkedId(id);
    await this.tasks.cancel(taskId, `Cancelled by ${userId}`);
    return this.reload(taskId);
  }

  private async reload(id: string): Promise<TranscodeTaskView> {
    const task = await this.tasks.find(id);
    if (!task) throw notFound(transcodeTasks.label, id);
    return viewOf(task, Date.now());
  }
}
