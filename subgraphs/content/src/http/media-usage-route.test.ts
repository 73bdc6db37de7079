import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '@learnhub/platform/database';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import type { MikroORM } from '@mikro-orm/core';
import { contentMigrations } from '../migrations/migrations';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { contentEntities } from '../entities/content-entities';
import { CoursePublishService } from '../services/course-publish.service';
import { approvedCourse, author, PUBLISHING_ORG } from '../testing/approved-course';
import { startContentSubgraph, type ContentSubgraph } from '../testing/content-subgraph';
import { FakeMediaDirectory } from '../testing/fake-media-directory';

/*
 * GET /media-usage/:mediaId?organisationId= on a running content subgraph (SQLite; the query
 * itself is tested on every database by media-usage.service.test.ts). Media is the fake directory,
 * only used to build the course.
 */

const COVER = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const DOCUMENT = 'dddddddddddddddddddddddddddddddd';
const GATEWAY_SECRET = 'a-gateway-secret-for-the-usage-route-test';
const media = new FakeMediaDirectory()
  .add({ id: COVER, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
  .add({ id: DOCUMENT, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'notes.pdf' });

const [sqlite] = testDatabases('media usage route').filter((factory) => factory.kind === 'sqlite');

describe('GET /media-usage/:mediaId', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let content: ContentSubgraph;
  let courseId: string;
  /** `secret` '' sends none. */
  const usage = (path: string, secret = GATEWAY_SECRET) =>
    fetch(`${content.origin}${path}`, {
      headers: secret ? { 'x-gateway-secret': secret } : {},
      signal: AbortSignal.timeout(10_000),
    });

  before(async () => {
    database = await sqlite.create();
    orm = await openDatabase({ url: database.url, entities: contentEntities, migrations: contentMigrations });
    content = await startContentSubgraph(database.url, { GATEWAY_SECRET });
    courseId = await approvedCourse(orm, media, { coverId: COVER, documentId: DOCUMENT }, '用到封面的课程');
    await new CoursePublishService(new CoursePublishingRepository(orm.em.fork()), { notify: async () => {} }).publish(
      author,
      courseId,
    );
  });
  after(async () => {
    await content?.stop();
    await orm?.close();
    await database?.drop();
  });

  test('answers the courses that use the media', async () => {
    const response = await usage(`/media-usage/${COVER}?organisationId=${PUBLISHING_ORG}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      courses: [{ id: courseId, name: '用到封面的课程', state: 'PUBLISHED' }],
    });
    const unused = await usage(`/media-usage/${'f'.repeat(32)}?organisationId=${PUBLISHING_ORG}`);
    assert.deepEqual(await unused.json(), { courses: [] });
    const elsewhere = await usage(`/media-usage/${COVER}?organisationId=org-other`);
    assert.deepEqual(await elsewhere.json(), { courses: [] });
  });

  test('refuses a media id that is not an MD5, or no organisation, with a JSON 400', async () => {
    for (const path of [
      '/media-usage/not-an-md5?organisationId=org-1',
      `/media-usage/${COVER}`,
      `/media-usage/${COVER}?organisationId=`,
      `/media-usage/${COVER}?organisationId=a&organisationId=b`,
    ]) {
      const response = await usage(path);
      assert.equal(response.status, 400, path);
      const body = (await response.json()) as { error: string; fields: { field: string }[] };
      assert.match(body.error, /MD5|organisation/, path);
      assert.equal(body.fields.length, 1, path);
    }
  });

  test('answers only callers holding the gateway secret', async () => {
    assert.equal((await usage(`/media-usage/${COVER}?organisationId=${PUBLISHING_ORG}`, '')).status, 403);
    assert.equal((await usage(`/media-usage/${COVER}?organisationId=${PUBLISHING_ORG}`, 'wrong')).status, 403);
  });
});
