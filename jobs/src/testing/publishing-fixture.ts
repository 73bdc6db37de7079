import type { MikroORM } from '@mikro-orm/core';
import type { Cache } from '@learnhub/platform/cache';
import { sqlRows } from '@learnhub/platform/database';
import type { ObjectStore } from '@learnhub/platform/object-store';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import {
  readOutboxStages,
  COURSE_PAGE_BUCKET,
  coursePageKey,
  publishedCourseKey,
  readPublishedEntry,
  type CachedPublishedCourse,
  type PublishedCourseRecord,
  CoursePublishingRepository,
  CoursePublishService,
  author,
} from '@learnhub/content/testing';
import { CourseSearchSort, type SearchIndex } from '@learnhub/search/testing';

/**
 * Courses taken through content's publish service (publish, take offline, bring online) over a
 * real content database, and readers of what the publish outbox produced (the page in object storage, the search index, the cache entry, the messages),
 * for the outbox processor's tests.
 */

export type PublishActionName = 'publish' | 'offline' | 'online';

/** Publishes, takes offline or brings online through the publish service (one transaction each, then a wake-up). */
export function act(
  orm: MikroORM,
  wakeup: Pick<TaskWakeup, 'notify'>,
  action: PublishActionName,
  courseId: string,
): Promise<PublishedCourseRecord> {
  const service = new CoursePublishService(new CoursePublishingRepository(orm.em.fork()), wakeup);
  switch (action) {
    case 'publish':
      return service.publish(author, courseId);
    case 'offline':
      return service.takeOffline(author, courseId);
    case 'online':
      return service.bringOnline(author, courseId);
  }
}

/** The published record as stored (version, status, the version the page shows), or undefined. */
export async function storedRecord(
  orm: MikroORM,
  courseId: string,
): Promise<{ version: number; status: string; pageVersion: number } | undefined> {
  const [row] = await sqlRows(orm.em.fork(), 'select version, status, page_version from course_publish where id = ?', [
    courseId,
  ]);
  return row
    ? { version: Number(row.version), status: String(row.status), pageVersion: Number(row.page_version) }
    : undefined;
}

export type MessageRow = Record<string, unknown>;

/** The course's messages still in `mq_message` (waiting, running, failed), oldest first. */
export function liveMessages(orm: MikroORM, courseId?: string): Promise<MessageRow[]> {
  return courseId === undefined
    ? sqlRows(orm.em.fork(), 'select * from mq_message order by id', [])
    : sqlRows(orm.em.fork(), 'select * from mq_message where business_key1 = ? order by id', [courseId]);
}

/** The course's finished messages, oldest first. */
export function finishedMessages(orm: MikroORM, courseId?: string): Promise<MessageRow[]> {
  return courseId === undefined
    ? sqlRows(orm.em.fork(), 'select * from mq_message_history order by id', [])
    : sqlRows(orm.em.fork(), 'select * from mq_message_history where business_key1 = ? order by id', [courseId]);
}

/** Each stage's state as a message row records it, by the stage's name, in the processor's order. */
export function stageStates(row: MessageRow): Record<string, string> {
  return Object.fromEntries(readOutboxStages(row.stages).map((stage) => [stage.name, stage.state]));
}

/** What a stored course page shows: the offline notice, or the published page of a version. */
export interface PageView {
  offline: boolean;
  /** The version in the published page's footer ("第 N 版"); the offline notice shows none. */
  version?: number;
}

export function pageView(html: string): PageView {
  const version = /第 (\d+) 版/.exec(html)?.[1];
  return { offline: html.includes('该课程已下架'), version: version === undefined ? undefined : Number(version) };
}

/** The course's static page in object storage, or undefined when none was ever written. */
export async function storedPage(store: ObjectStore, courseId: string): Promise<string | undefined> {
  if (!(await store.stat(COURSE_PAGE_BUCKET, coursePageKey(courseId)))) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(COURSE_PAGE_BUCKET, coursePageKey(courseId))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The course's cache entry as `publishedCourse` would read it. */
export async function cachedEntry(cache: Cache, courseId: string): Promise<CachedPublishedCourse | undefined> {
  return readPublishedEntry(await cache.get(publishedCourseKey(courseId)));
}

/** Every document the index would find (no keyword lists everything), as id → the versions found under it. */
export async function indexedVersions(index: SearchIndex): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  const limit = 100;
  for (let offset = 0; ; offset += limit) {
    const { hits, total } = await index.search({ sort: CourseSearchSort.NEWEST, offset, limit });
    for (const hit of hits) found.set(hit.document.id, [...(found.get(hit.document.id) ?? []), hit.document.version]);
    if (hits.length === 0 || offset + limit >= total) return found;
  }
}

/**
 * `target` with some of its methods replaced; every other member is the target's own (methods
 * bound to it). For counting or delaying the calls a real adapter receives, not for faking it.
 */
export function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return (overrides as Record<string | symbol, unknown>)[property];
      const value = Reflect.get(object, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}
