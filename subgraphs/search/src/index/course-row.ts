import { cents, type CourseDocument } from '../documents/course-document';
import { indexTokens } from '../text/tokens';

/**
 * The searchable text of a course, field by field in falling weight: name, then tags (with the
 * category names, so "前端" finds front-end courses named otherwise), then description, then
 * the organisation's name.
 */
export interface CourseText {
  name: string[];
  tags: string[];
  description: string[];
  organisation: string[];
}

export function courseText(document: CourseDocument): CourseText {
  return {
    name: indexTokens(document.name, { characters: true }),
    tags: indexTokens([...document.tags, document.mtName, document.stName].join(' '), { characters: true }),
    description: indexTokens(document.description, { characters: false }),
    organisation: indexTokens(document.organisationName, { characters: true }),
  };
}

/** The `search_course` columns both adapters store for a live course. */
export function courseColumns(document: CourseDocument) {
  return {
    id: document.id,
    version: document.version,
    live: 1,
    document: JSON.stringify(document),
    name: document.name,
    mt: document.mt,
    mt_name: document.mtName,
    st: document.st,
    st_name: document.stName,
    grade: document.grade,
    charge: document.charge,
    price_cents: cents(document.price),
    published_at: document.publishedAt,
  };
}

export type CourseColumns = ReturnType<typeof courseColumns>;
export const COURSE_COLUMN_NAMES = [
  'id',
  'version',
  'live',
  'document',
  'name',
  'mt',
  'mt_name',
  'st',
  'st_name',
  'grade',
  'charge',
  'price_cents',
  'published_at',
] as const satisfies readonly (keyof CourseColumns)[];
