import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TokenSubject } from '@learnhub/platform/auth';
import { openDatabase } from '@learnhub/platform/database';
import { backendUrl } from '@learnhub/platform/testing';
import { deleteRedisKeys } from '@learnhub/platform/testing';
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
 * Who sees a published course's paid sections, asked of the content subgraph over HTTP with real
 * tokens. The course has a preview section (free trial) and a paid one; media is the fake
 * directory, since these reads never ask the media service.
 */

const ids = {
  coverId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  documentId: 'dddddddddddddddddddddddddddddddd',
  paidDocumentId: 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
};
const media = new FakeMediaDirectory()
  .add({ id: ids.coverId, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
  .add({ id: ids.documentId, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'trial.pdf' })
  .add({ id: ids.paidDocumentId, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'paid.pdf' });

type Viewer = Omit<TokenSubject, 'expiresIn'>;
const owner: Viewer = { userId: author.userId!, roles: ['member'], organisationId: PUBLISHING_ORG };
const otherMember: Viewer = { userId: 'u-other', roles: ['member'], organisationId: 'org-other' };
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };

interface Section {
  name: string;
  preview: boolean;
  locked: boolean;
  media: { id: string } | null;
}
const SECTIONS = 'teachplan { children { name preview locked media { id } } }';
const PUBLISHED = `query($id: ID!) { publishedCourse(id: $id) { id content { ${SECTIONS} } } }`;
const COURSE = `query($id: ID!) { course(id: $id) { ${SECTIONS} auditSnapshot { content { ${SECTIONS} } } } }`;

const sectionsOf = (plan: { children: Section[] }[]) => plan.flatMap((chapter) => chapter.children);

/** The preview and the paid section as `viewer` sees them in publishedCourse. */
async function publishedSections(content: ContentSubgraph, courseId: string, viewer?: Viewer): Promise<Section[]> {
  const answer = await content.graphql<{
    publishedCourse: { content: { teachplan: { children: Section[] }[] } } | null;
  }>(PUBLISHED, { id: courseId }, viewer);
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  assert.ok(answer.data?.publishedCourse, 'the course is published');
  return sectionsOf(answer.data.publishedCourse.content.teachplan);
}

const everything = [
  { name: '1.1 环境搭建', preview: true, locked: false, media: { id: ids.documentId } },
  { name: '1.2 进阶实战', preview: false, locked: false, media: { id: ids.paidDocumentId } },
];
const previewOnly = [
  { name: '1.1 环境搭建', preview: true, locked: false, media: { id: ids.documentId } },
  { name: '1.2 进阶实战', preview: false, locked: true, media: null },
];

const [sqlite] = testDatabases('published course access').filter((factory) => factory.kind === 'sqlite');
const redisUrl = backendUrl('redis', 'published course access through Redis');

for (const cache of ['no cache', ...(redisUrl ? ['Redis'] : [])]) {
  describe(`paid sections of a published course (${cache})`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let content: ContentSubgraph;
    let courseId: string;
    const prefix = `test-access-${randomUUID()}:`;

    before(async () => {
      database = await sqlite.create();
      orm = await openDatabase({ url: database.url, entities: contentEntities, migrations: contentMigrations });
      content = await startContentSubgraph(
        database.url,
        cache === 'Redis' ? { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix } : {},
      );
      courseId = await approvedCourse(orm, media, ids, '带付费小节的课程');
      await new CoursePublishService(new CoursePublishingRepository(orm.em.fork()), { notify: async () => {} }).publish(
        author,
        courseId,
      );
    });
    after(async () => {
      await content?.stop();
      await orm?.close();
      await database?.drop();
      if (cache === 'Redis') await deleteRedisKeys(redisUrl!, prefix);
    });

    test('anonymous viewers see the preview section and the paid one locked, without its media', async () => {
      assert.deepEqual(await publishedSections(content, courseId), previewOnly);
    });

    test('another organisation’s member, and a buyer of another course, see the paid section locked', async () => {
      assert.deepEqual(await publishedSections(content, courseId, otherMember), previewOnly);
      assert.deepEqual(
        await publishedSections(content, courseId, { userId: 'u-buyer', roles: [], entitledCourseIds: ['999999'] }),
        previewOnly,
      );
    });

    test('a viewer whose token lists the course sees every section', async () => {
      // Read after the anonymous reads above: whatever the cache holds, the decision is this viewer's.
      assert.deepEqual(
        await publishedSections(content, courseId, {
          userId: 'u-buyer',
          roles: [],
          entitledCourseIds: ['999999', courseId],
        }),
        everything,
      );
    });

    test('the owning organisation, auditors and admins see every section', async () => {
      for (const viewer of [owner, auditor, admin])
        assert.deepEqual(await publishedSections(content, courseId, viewer), everything, viewer.userId);
    });

    test('the draft and the submitted snapshot never lock sections for those who may read them', async () => {
      for (const viewer of [owner, auditor]) {
        const answer = await content.graphql<{
          course: {
            teachplan: { children: Section[] }[];
            auditSnapshot: { content: { teachplan: { children: Section[] }[] } };
          };
        }>(COURSE, { id: courseId }, viewer);
        assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
        assert.deepEqual(sectionsOf(answer.data!.course.teachplan), everything);
        assert.deepEqual(sectionsOf(answer.data!.course.auditSnapshot.content.teachplan), everything);
      }
    });
  });
}
