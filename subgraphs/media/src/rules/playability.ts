import { TaskState } from '@learnhub/platform/tasks';
import { MediaType } from '../entities/media-object.entity';

/** A file's transcoding as callers see it: NONE when it never needed one, else its task's state. */
export enum TranscodeState {
  NONE = 'NONE',
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

const transcodeStates: Record<TaskState, TranscodeState> = {
  [TaskState.PENDING]: TranscodeState.PENDING,
  [TaskState.PROCESSING]: TranscodeState.PROCESSING,
  [TaskState.SUCCEEDED]: TranscodeState.SUCCEEDED,
  [TaskState.FAILED]: TranscodeState.FAILED,
  [TaskState.CANCELLED]: TranscodeState.CANCELLED,
};

/** A file's transcoding: its state, and how far the running attempt has got (percent) while one runs. */
export interface Transcoding {
  state: TranscodeState;
  progress?: number;
}

/**
 * The transcoding to show beside a media view. The task is read after the view, and a worker may
 * finish in between: the view decides, so one answer never says SUCCEEDED while its URL still
 * serves the original (nor the other way round).
 */
export function transcodingAsServed(transcoded: boolean, task: Transcoding): Transcoding {
  if (transcoded) return { state: TranscodeState.SUCCEEDED };
  return task.state === TranscodeState.SUCCEEDED ? { state: TranscodeState.PROCESSING, progress: 100 } : task;
}

export function transcodeStateOf(task: TaskState | undefined): TranscodeState {
  return task === undefined ? TranscodeState.NONE : transcodeStates[task];
}

/** Images and documents always open; a video does once no transcoding task is outstanding for it. */
export function isPlayable(type: MediaType, state: TranscodeState): boolean {
  return type !== MediaType.VIDEO || state === TranscodeState.NONE || state === TranscodeState.SUCCEEDED;
}
