import type { PublishStageName, StageState } from '@learnhub/content/entities/outbox-message.entity';

/** What a stage did, recorded on the message. */
export interface StageOutcome {
  state: StageState.DONE | StageState.SKIPPED;
  result: string;
}

/**
 * One effect of a change to a published record. Every stage brings its effect up to the course's
 * current published record and writes it with that record's version, so running it twice, late
 * or for an older message never leaves an older version in place of a newer one.
 */
export interface PublishStage {
  name: PublishStageName;
  run(courseId: string, signal: AbortSignal): Promise<StageOutcome>;
}
