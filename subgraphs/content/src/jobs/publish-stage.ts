import type { StageState } from '../entities/outbox-message.entity';
import type { PublishedCourseRecord } from '../publishing/published-course-record';
import type { MediaDescription } from '@learnhub/media/client';

/** What a stage did, recorded on the message. */
export interface StageOutcome {
  state: StageState.DONE | StageState.SKIPPED;
  result: string;
}

/** What the stages of one message share, each read at most once for the message. */
export interface PublishMessage {
  courseId: string;
  /** The course's published record as this message read it; `reread` reads it again. */
  record(reread?: boolean): Promise<PublishedCourseRecord | undefined>;
  /** What the media service says of every media item the record refers to. */
  media(): Promise<ReadonlyMap<string, MediaDescription>>;
}

/**
 * One effect of a change to a published record. Every stage brings its effect up to the course's
 * published record as the message read it and writes it with that record's version, so running it
 * twice, late or for an older message never leaves an older version in place of a newer one (a
 * newer record has its own message, whose write wins).
 */
export interface PublishStage {
  /** Names the stage's record on each message: unique among the processor's stages, and kept once in use. */
  readonly name: string;
  run(message: PublishMessage, signal: AbortSignal): Promise<StageOutcome>;
}
