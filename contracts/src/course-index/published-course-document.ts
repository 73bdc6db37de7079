import { Charge } from '../published-course/course-enums';
import { courseTags } from '../published-course/course-tags';
import type { PublishedCourseRecord } from '../published-course/published-course-record';
import type { CourseDocument } from './course-document';

/** A course's tags cut to what a document holds (32 tags of 64 characters), so no course content accepts is refused by search. */
const documentTags = (line: string | undefined) =>
  courseTags(line)
    .map((tag) => tag.slice(0, 64).trimEnd())
    .slice(0, 32);

/**
 * The search document of a published course, at the published record's version. Content has no
 * directory of organisation names yet, so the organisation is named by its id.
 */
export function publishedCourseDocument(record: PublishedCourseRecord, coverUrl: string | null): CourseDocument {
  const course = record.content;
  const market = course.market;
  const charge = market?.charge ?? Charge.FREE;
  return {
    id: record.id,
    version: record.version,
    name: course.name,
    organisationId: course.organisationId,
    organisationName: course.organisationId,
    mt: course.mt,
    mtName: course.mtName,
    st: course.st,
    stName: course.stName,
    grade: course.grade,
    teachingMode: course.teachingMode,
    tags: documentTags(course.tags),
    audience: course.audience,
    description: course.description ?? '',
    coverUrl,
    charge,
    price: charge === Charge.FREE ? '0.00' : (market?.price ?? '0.00'),
    originalPrice: market?.originalPrice ?? null,
    validDays: market?.validDays ?? null,
    publishedAt: record.publishedAt,
  };
}
