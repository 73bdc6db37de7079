import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { badInput, type FieldProblem } from '@learnhub/platform/errors';

const MONEY = /^\d{1,10}\.\d{2}$/;
const CATEGORY = /^\d+(-\d+)*$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Whole cents of a validated money string, for sorting by price. */
export function cents(money: string): number {
  const [whole, fraction] = money.split('.');
  return Number(whole) * 100 + Number(fraction);
}

/**
 * Checks a document arriving from a publisher or a reindex source and returns it normalised;
 * throws BAD_USER_INPUT naming every bad field, prefixed with `where` (e.g. "documents[3]").
 */
export function parseCourseDocument(value: unknown, where = 'document'): CourseDocument {
  const problems: FieldProblem[] = [];
  const input = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const problem = (field: string, message: string) => problems.push({ field: `${where}.${field}`, message });

  const text = (field: string, max: number, required = true): string => {
    const raw = input[field];
    if (raw !== undefined && raw !== null && typeof raw !== 'string') {
      problem(field, 'must be a string');
      return '';
    }
    const value = (raw as string | null | undefined)?.trim() ?? '';
    if (value === '' && required) problem(field, 'is required');
    if (value.length > max) problem(field, `must be at most ${max} characters`);
    return value;
  };
  const oneOf = <T extends string>(field: string, allowed: Record<string, T>): T => {
    const raw = input[field];
    if (typeof raw !== 'string' || !Object.values(allowed).includes(raw as T)) {
      problem(field, `must be one of ${Object.values(allowed).join(', ')}`);
    }
    return raw as T;
  };
  const category = (field: string) => {
    const id = text(field, 32);
    if (id && !CATEGORY.test(id)) problem(field, 'must be a category id such as 1-3');
    return id;
  };
  const money = (field: string, required: boolean): string | null => {
    const raw = input[field];
    if (raw === undefined || raw === null) {
      if (required) problem(field, 'is required');
      return null;
    }
    if (typeof raw !== 'string' || !MONEY.test(raw)) {
      problem(field, 'must be a decimal with two places, such as "199.00"');
      return null;
    }
    return raw;
  };

  if (!(typeof input.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(input.id)))
    problem('id', 'must be 1 to 64 letters, digits, - or _');
  if (!(Number.isSafeInteger(input.version) && (input.version as number) >= 1))
    problem('version', 'must be a whole number of 1 or more');
  const tags = input.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag.length > 64) || tags.length > 32) {
    problem('tags', 'must be a list of at most 32 strings of at most 64 characters');
  }
  const validDays = input.validDays ?? null;
  if (validDays !== null && !(Number.isSafeInteger(validDays) && (validDays as number) > 0))
    problem('validDays', 'must be a whole number of days, or null');
  const publishedAt = text('publishedAt', 40);
  const publishedTime = ISO_DATE_TIME.test(publishedAt) ? Date.parse(publishedAt) : NaN;
  if (publishedAt && Number.isNaN(publishedTime))
    problem('publishedAt', 'must be an ISO 8601 date-time with a zone, such as 2026-01-31T08:00:00Z');
  const coverUrl = text('coverUrl', 2048, false);
  if (coverUrl && !/^https?:\/\//.test(coverUrl)) problem('coverUrl', 'must be an http(s) URL');

  const document: CourseDocument = {
    id: input.id as string,
    version: input.version as number,
    name: text('name', 200),
    organisationId: text('organisationId', 64),
    organisationName: text('organisationName', 200),
    mt: category('mt'),
    mtName: text('mtName', 64),
    st: category('st'),
    stName: text('stName', 64),
    grade: oneOf('grade', CourseGrade),
    teachingMode: oneOf('teachingMode', TeachingMode),
    tags: Array.isArray(tags) ? tags.map((tag) => String(tag).trim()).filter((tag) => tag !== '') : [],
    audience: text('audience', 500, false),
    description: text('description', 20_000, false),
    coverUrl: coverUrl || null,
    charge: oneOf('charge', Charge),
    price: money('price', true) ?? '0.00',
    originalPrice: money('originalPrice', false),
    validDays: validDays as number | null,
    publishedAt: Number.isNaN(publishedTime) ? '' : new Date(publishedTime).toISOString(),
  };
  if (document.st && document.mt && !document.st.startsWith(`${document.mt}-`))
    problem('st', `must be a minor category of ${document.mt}`);
  if (document.charge === Charge.FREE && document.price !== '0.00')
    problem('price', 'must be "0.00" for a free course');
  if (problems.length > 0) {
    throw badInput(`Invalid course document: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
      fields: problems,
    });
  }
  return document;
}
