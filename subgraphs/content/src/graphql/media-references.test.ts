import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '@learnhub/platform/database';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import type { MikroORM } from '@mikro-orm/core';
import { contentMigrations } from '../migrations/migrations';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { contentEntities } from '../entities/content-entities';
import { CourseCategoryService } from '../services/course-category.service';
import { CoursePublishService } from '../services/course-publish.service';
import { approvedCourse, author, PUBLISHING_ORG } from '../testing/approved-course';
import { startContentSubgraph, type ContentSubgraph } from '../testing/content-subgraph';
import { FakeMediaDirectory } from '../testing/fake-media-directory';

/*
 * Every media reference content hands the gateway names the organisation whose library holds the
 * item (Media's key "id organisationId"), so media resolves the owner's entry even when another
 * organisation uploaded the same bytes. Asked of the content subgraph over HTTP; media is the fake
 * directory, since building references never asks it.
 */

const ids = {
  coverId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  documentId: 'dddddddddddddddddddddddddddddddd',
  paidDocumentId: 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
  teacherPhotoId: 'ffffffffffffffffffffffffffffffff',
};
const ICON_ID = '11111111111111111111111111111111';
const media = new FakeMediaDirectory()
  .add({ id: ids.coverId, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
  .add({ id: ids.documentId, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'trial.pdf' })
  .add({ id: ids.paidDocumentId, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'paid.pdf' })
  .add({ id: ids.teacherPhotoId, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'teacher.png' })
  .add({ id: ICON_ID, type: 'IMAGE', organisationId: 'org-platform', fileName: 'icon.png' });

interface Reference {
  id: string;
  organisationId: string;
}
interface CourseMedia {
  cover: Reference | null;
  teachplan: { children: { media: Reference | null }[] }[];
  teachers: { photo: Reference | null }[];
}
const MEDIA =
  'cover { id organisationId } teachplan { children { media { id organisationId } } } teachers { photo { id organisationId } }';
const owned = (id: string) => ({ id, organisationId: PUBLISHING_ORG });
const expected: CourseMedia = {
  cover: owned(ids.coverId),
  teachplan: [{ children: [{ media: owned(ids.documentId) }, { media: owned(ids.paidDocumentId) }] }],
  teachers: [{ photo: owned(ids.teacherPhotoId) }],
};

const [sqlite] = testDatabases('media references').filter((factory) => factory.kind === 'sqlite');

describe('media references name the owning organisation', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let content: ContentSubgraph;
  let courseId: string;
  const owner = { userId: author.userId!, roles: author.roles, organisationId: PUBLISHING_ORG };

  before(async () => {
    database = await sqlite.create();
    orm = await openDatabase({ url: database.url, entities: contentEntities, migrations: contentMigrations });
    content = await startContentSubgraph(database.url);
    courseId = await approvedCourse(orm, media, ids, '媒资引用课程');
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

  test('the subgraph declares Media by id and organisation only', async () => {
    const answer = await content.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }', {});
    const sdl = answer.data!._service.sdl;
    const media = sdl.slice(sdl.indexOf('type Media'), sdl.indexOf('}', sdl.indexOf('type Media')));
    assert.match(media, /@key\(fields: "id organisationId", resolvable: false\)/);
    assert.doesNotMatch(media, /@key\(fields: "id", resolvable: false\)/);
  });

  test('the draft, the submitted snapshot and the published course refer to media with the course’s organisation', async () => {
    const answer = await content.graphql<{
      course: CourseMedia & { auditSnapshot: { content: CourseMedia } };
      publishedCourse: { content: CourseMedia };
    }>(
      `query($id: ID!) { course(id: $id) { ${MEDIA} auditSnapshot { content { ${MEDIA} } } } publishedCourse(id: $id) { content { ${MEDIA} } } }`,
      { id: courseId },
      owner,
    );
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    const { auditSnapshot, ...draft } = answer.data!.course;
    assert.deepEqual(draft, expected, 'the draft');
    assert.deepEqual(auditSnapshot.content, expected, 'the submitted snapshot');
    assert.deepEqual(answer.data!.publishedCourse.content, expected, 'the published course');
  });

  test('an anonymous reader of the published course gets the same references for what is not locked', async () => {
    const answer = await content.graphql<{ publishedCourse: { content: CourseMedia } }>(
      `query($id: ID!) { publishedCourse(id: $id) { content { ${MEDIA} } } }`,
      { id: courseId },
    );
    assert.deepEqual(answer.data!.publishedCourse.content, {
      ...expected,
      teachplan: [{ children: [{ media: owned(ids.documentId) }, { media: null }] }],
    });
  });

  test('a category icon refers to the image with the organisation whose library holds it', async () => {
    const admin = { userId: 'u-admin', roles: ['admin' as const] };
    await new CourseCategoryService(new CourseCategoryRepository(orm.em.fork()), media).setIcon(
      admin,
      { requestId: 'r' },
      '1-3',
      ICON_ID,
    );
    const answer = await content.graphql<{ courseCategories: { id: string; icon: Reference | null }[] }>(
      '{ courseCategories { id icon { id organisationId } } }',
      {},
    );
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    const categories = answer.data!.courseCategories;
    assert.deepEqual(categories.find((category) => category.id === '1-3')?.icon, {
      id: ICON_ID,
      organisationId: 'org-platform',
    });
    assert.equal(categories.find((category) => category.id === '1-1')?.icon, null);
  });
});
