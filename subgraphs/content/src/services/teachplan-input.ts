import { badInput, type FieldProblem } from '@learnhub/platform/errors';
import type { Teachplan } from '../entities/teachplan.entity';
import type { TeachplanFields } from '../repositories/teachplan.repository';

/**
 * Creates a node when there is no id: a chapter without parentId, else a section under that
 * chapter. With an id it updates the node's own fields: an omitted field keeps its value, null
 * clears it (a null preview, which cannot be empty, keeps it too).
 */
export interface TeachplanInput {
  id?: string | null;
  courseId: string;
  parentId?: string | null;
  name: string;
  description?: string | null;
  preview?: boolean | null;
  startTime?: Date | null;
  endTime?: Date | null;
  durationSeconds?: number | null;
}

export interface BindMediaInput {
  teachplanId: string;
  mediaId: string;
}

const MAX_NAME = 100;
const MAX_DESCRIPTION = 1000;
const MAX_DURATION_SECONDS = 7 * 24 * 60 * 60;

const given = <T>(value: T | null | undefined, stored: T | null | undefined): T | null =>
  value === undefined ? (stored ?? null) : value;

/**
 * The values to store for `input` on a chapter or a section (over `stored` when updating), or
 * BAD_USER_INPUT naming every field that is wrong. Preview is refused on chapters rather than
 * ignored: a chapter holds no media, so a client setting it has misunderstood the plan.
 */
export function teachplanFields(
  input: TeachplanInput,
  target: { chapter: boolean; stored?: Teachplan },
): TeachplanFields {
  const { stored } = target;
  const description = typeof input.description === 'string' ? input.description.trim() || null : input.description;
  const fields: TeachplanFields = {
    name: input.name.trim(),
    description: given(description, stored?.description),
    preview: input.preview ?? stored?.preview ?? false,
    startTime: given(input.startTime, stored?.startTime),
    endTime: given(input.endTime, stored?.endTime),
    durationSeconds: given(input.durationSeconds, stored?.durationSeconds),
  };
  const problems: FieldProblem[] = [];
  if (!fields.name) problems.push({ field: 'name', message: 'must not be empty' });
  if (fields.name.length > MAX_NAME) {
    problems.push({ field: 'name', message: `must be at most ${MAX_NAME} characters (it has ${fields.name.length})` });
  }
  if (fields.description && fields.description.length > MAX_DESCRIPTION) {
    problems.push({
      field: 'description',
      message: `must be at most ${MAX_DESCRIPTION} characters (it has ${fields.description.length})`,
    });
  }
  const duration = fields.durationSeconds;
  if (duration !== null && !(Number.isInteger(duration) && duration >= 0 && duration <= MAX_DURATION_SECONDS)) {
    problems.push({
      field: 'durationSeconds',
      message: `must be a whole number of seconds from 0 to ${MAX_DURATION_SECONDS} (7 days)`,
    });
  }
  if (fields.startTime && fields.endTime && fields.endTime < fields.startTime) {
    problems.push({ field: 'endTime', message: 'must not be before startTime' });
  }
  if (fields.preview && target.chapter) {
    problems.push({
      field: 'preview',
      message: "only sections can be free previews; mark this chapter's sections instead",
    });
  }
  if (problems.length > 0) {
    throw badInput(`Check the plan entry: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
      fields: problems,
    });
  }
  return fields;
}
