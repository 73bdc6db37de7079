import type { Cache, VersionedWriteOutcome } from '@learnhub/platform/cache';
import { isPublic } from '@learnhub/contracts/published-course';
import type { PublishedCourseRecord } from './published-course-record';

/**
 * The cache entry of a published course, shared by its writer (the outbox's cache stage) and
 * its reader (`publishedCourse`). Every write is versioned, so a late writer of an older version
 * (a slow outbox message, a reader rebuilding from a record read just before a change) is stale.
 */
export const publishedCourseKey = (courseId: string) => `published-course:${courseId}`;

/** Held by the one reader rebuilding a missing entry. */
export const rebuildLockKey = (courseId: string) => `published-course:${courseId}#rebuild`;

/** A course that can be read, or a remembered miss (penetration guard). */
export type CachedPublishedCourse =
  | { version: number; record: PublishedCourseRecord }
  | { version: number; absent: true };

export const CACHE_TTL_SECONDS = 3600;
export const ABSENT_TTL_SECONDS = 60;

/** Entries written together must not expire together (avalanche guard): up to a fifth longer, at random. */
export const jittered = (seconds: number) => seconds + Math.floor(Math.random() * Math.ceil(seconds / 5));

/** Caches the record when the public may read it, else removes the course from the cache (remembering the version). */
export function writePublishedEntry(
  cache: Cache,
  courseId: string,
  record: PublishedCourseRecord | undefined,
): Promise<VersionedWriteOutcome> {
  const version = record?.version ?? 0;
  if (record && isPublic(record)) {
    const entry: CachedPublishedCourse = { version, record };
    return cache.writeVersioned(
      publishedCourseKey(courseId),
      version,
      JSON.stringify(entry),
      jittered(CACHE_TTL_SECONDS),
    );
  }
  return cache.writeVersioned(publishedCourseKey(courseId), version, undefined, 0);
}

/** Remembers briefly that nobody may read this course, so a flood of misses does not reach the database. */
export function writeAbsentEntry(cache: Cache, courseId: string, version: number): Promise<VersionedWriteOutcome> {
  const entry: CachedPublishedCourse = { version, absent: true };
  return cache.writeVersioned(
    publishedCourseKey(courseId),
    version,
    JSON.stringify(entry),
    jittered(ABSENT_TTL_SECONDS),
  );
}

export function readPublishedEntry(value: string | undefined): CachedPublishedCourse | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as CachedPublishedCourse;
  } catch {
    // Not ours (or torn): treat as a miss; the rebuild overwrites it.
    return undefined;
  }
}
