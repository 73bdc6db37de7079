import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { appError } from '@learnhub/platform/testing';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { contentMigrations } from '../migrations/migrations';
import { CoursePublishingRepository } from '../repositories/course-publishing.repository';
import { CourseRepository } from '../repositories/course.repository';
import { contentEntities } from '../entities/content-entities';
import { approvedCourse, author, PUBLISHING_ORG } from '../testing/approved-course';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import { CourseAuditService } from './course-audit.service';
import { CoursePublishService } from './course-publish.service';
import { MediaUsageService, type CourseUsingMedia } from './media-usage.service';

const IN_USE = '0123456789abcdef0123456789abcdef';
const COVER = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const DOCUMENT = 'dddddddddddddddddddddddddddddddd';
const UNUSED = 'ffffffffffffffffffffffffffffffff';

const media = new FakeMediaDirectory()
  .add({ id: IN_USE, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'shared.png' })
  .add({ id: COVER, type: 'IMAGE', organisationId: PUBLISHING_ORG, fileName: 'cover.png' })
  .add({ id: DOCUMENT, type: 'DOCUMENT', organisationId: PUBLISHING_ORG, fileName: 'notes.pdf' })
  .add({
    id: '1111111111111111111111111111111a',
    type: 'DOCUMENT',
    organisationId: PUBLISHING_ORG,
    fileName: 'in-use.pdf',
  });
const IN_USE_DOCUMENT = '1111111111111111111111111111111a';

for (const factory of testDatabases('media usage')) {
  describe(`media usage on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    const publisher = () =>
      new CoursePublishService(new CoursePublishingRepository(db.orm.em.fork()), { notify: async () => {} });
    const audits = () => {
      const em = db.orm.em.fork();
      return new CourseAuditService(new CourseRepository(em), new CoursePublishingRepository(em), media);
    };
    const usage = (organisationId: string, mediaId: string) =>
      new MediaUsageService(new CoursePublishingRepository(db.orm.em.fork())).coursesUsing(organisationId, mediaId);
    const expected: CourseUsingMedia[] = [];

    before(async () => {
      // Published, binding it to a section; its approved snapshot is the published one, so it is listed once.
      const section = await approvedCourse(
        db.orm,
        media,
        { coverId: COVER, documentId: IN_USE_DOCUMENT },
        '发布的课程 小节',
      );
      await publisher().publish(author, section);
      // Published with it as a teacher's photo.
      const photo = await approvedCourse(
        db.orm,
        media,
        { coverId: COVER, documentId: DOCUMENT, teacherPhotoId: IN_USE },
        '发布的课程 讲师',
      );
      await publisher().publish(author, photo);
      // Approved, not yet published, with it as the cover.
      const approved = await approvedCourse(db.orm, media, { coverId: IN_USE, documentId: DOCUMENT }, '已通过未发布');
      // Approved, published, then submitted again: the submission binds it (the published snapshot binds it too).
      const resubmitted = await approvedCourse(db.orm, media, { coverId: IN_USE, documentId: DOCUMENT }, '再次提交');
      await publisher().publish(author, resubmitted);
      await audits().submit(author, 'r', resubmitted);
      // Approved and submitted once more without publishing: SUBMITTED.
      const submitted = await approvedCourse(db.orm, media, { coverId: COVER, documentId: IN_USE_DOCUMENT }, '审核中');
      await audits().submit(author, 'r', submitted);
      // Not listed: taken offline; its id only in the name.
      const offline = await approvedCourse(db.orm, media, { coverId: IN_USE, documentId: DOCUMENT }, '已下线');
      await publisher().publish(author, offline);
      await publisher().takeOffline(author, offline);
      const mentioned = await approvedCourse(
        db.orm,
        media,
        { coverId: COVER, documentId: DOCUMENT },
        `名字里有 ${IN_USE}`,
      );
      await publisher().publish(author, mentioned);

      expected.push(
        { id: section, name: '发布的课程 小节', state: 'PUBLISHED' },
        { id: photo, name: '发布的课程 讲师', state: 'PUBLISHED' },
        { id: approved, name: '已通过未发布', state: 'APPROVED' },
        { id: resubmitted, name: '再次提交', state: 'PUBLISHED' },
        { id: submitted, name: '审核中', state: 'SUBMITTED' },
      );
    });

    test('lists the organisation’s published, submitted and approved-not-yet-published courses binding the media, once each', async () => {
      const byId = (a: CourseUsingMedia, b: CourseUsingMedia) => Number(a.id) - Number(b.id);
      const found = [...(await usage(PUBLISHING_ORG, IN_USE)), ...(await usage(PUBLISHING_ORG, IN_USE_DOCUMENT))].sort(
        byId,
      );
      assert.deepEqual(found, [...expected].sort(byId));
      assert.deepEqual((await usage(PUBLISHING_ORG, IN_USE_DOCUMENT)).map((course) => course.state).sort(), [
        'PUBLISHED',
        'SUBMITTED',
      ]);
    });

    test('another organisation, or media no course binds, is in use nowhere', async () => {
      assert.deepEqual(await usage('org-other', IN_USE), []);
      assert.deepEqual(await usage(PUBLISHING_ORG, UNUSED), []);
    });

    test('refuses an id that is not an MD5 and a missing organisation', async () => {
      for (const id of ['', 'abc', IN_USE.toUpperCase(), `${IN_USE}0`, '%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%']) {
        await assert.rejects(usage(PUBLISHING_ORG, id), appError('BAD_USER_INPUT', /MD5/));
      }
      await assert.rejects(usage('', IN_USE), appError('BAD_USER_INPUT', /organisation/));
    });
  });
}
