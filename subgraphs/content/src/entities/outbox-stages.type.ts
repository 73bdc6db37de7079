import { AppError, ErrorCode } from '@learnhub/platform/errors';
import { Type } from '@mikro-orm/core';
import type { StageState } from './outbox-message.entity';

/** One stage of an outbox message as its processor last recorded it. */
export interface OutboxStageRecord {
  /** The stage's own name, as the processor's stage calls itself. */
  name: string;
  state: StageState;
  /** What the stage reported when it finished. */
  result?: string;
  finishedAtMs?: number;
}

/**
 * A message's stages as its `stages` column holds them (a JSON list, in the processor's order;
 * NULL until the processor first recorded one), read back. Throws when the column holds anything else.
 */
export function readOutboxStages(stored: unknown): OutboxStageRecord[] {
  if (stored === null || stored === undefined) return [];
  const parsed = typeof stored === 'string' ? parsedJson(stored) : stored;
  if (
    !Array.isArray(parsed) ||
    !parsed.every((stage) => typeof stage?.name === 'string' && typeof stage?.state === 'string')
  ) {
    throw new AppError(
      ErrorCode.INTERNAL,
      `An outbox message's stages column must hold a JSON list of { name, state }, not ${JSON.stringify(stored).slice(0, 200)}; correct the row by hand.`,
      {
        reason: 'OUTBOX_STAGES_UNREADABLE',
      },
    );
  }
  return parsed as OutboxStageRecord[];
}

const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The column value for `stages`: NULL while nothing is recorded. */
export function writeOutboxStages(stages: readonly OutboxStageRecord[]): string | null {
  return stages.length === 0 ? null : JSON.stringify(stages);
}

/**
 * Text, not a JSON column type: the jobs engine reads and copies the column with plain SQL, and
 * text comes back the same from SQLite, PostgreSQL and MariaDB alike.
 */
export class OutboxStagesType extends Type<OutboxStageRecord[], string | null> {
  override convertToDatabaseValue(value: OutboxStageRecord[] | null | undefined): string | null {
    return writeOutboxStages(value ?? []);
  }

  override convertToJSValue(value: string | null | undefined): OutboxStageRecord[] {
    return readOutboxStages(value);
  }

  override getColumnType(): string {
    return 'text';
  }
}
