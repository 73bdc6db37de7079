import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { anonymous, type Viewer } from '@learnhub/platform/auth';
import { AppError } from '@learnhub/platform/errors';
import { migratedTestDatabase, testDatabases } from '@learnhub/platform/testing';
import { appError } from '@learnhub/platform/testing';
import { Charge, CourseGrade, PublishStatus, TeachingMode } from '@learnhub/contracts/published-course';
import type { Caller } from '@learnhub/media/client';
import { CourseCategory } from '../entities/course-category.entity';
import { AuditStatus } from '../entities/course-dictionary';
import { CourseMarket } from '../entities/course-market.entity';
import { CourseTeacher } from '../entities/course-teacher.entity';
import { Course } from '../entities/course.entity';
import { TeachplanMedia } from '../entities/teachplan-media.entity';
import { CHAPTER_PARENT, Teachplan } from '../entities/teachplan.entity';
import { contentMigrations } from '../migrations/migrations';
import { CourseCategoryRepository } from '../repositories/course-category.repository';
import { CourseRepository } from '../repositories/course.repository';
import { contentEntities } from '../entities/content-entities';
import { FakeMediaDirectory } from '../testing/fake-media-directory';
import type { CourseFields } from './course-input';
import { CourseService, type CourseView } from './course.service';

const IMAGE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SECOND_IMAGE_ID = 'abababababababababababababababab';
const OTHER_ORG_IMAGE_ID = 'cccccccccccccccccccccccccccccccc';
const VIDEO_ID = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const DOCUMENT_ID = 'dddddddddddddddddddddddddddddddd';
const UNKNOWN_ID = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

const member = (organisationId: string, userId = `u-${organisationId}`): Viewer => ({
  userId,
  roles: ['member'],
  organisationId,
});
const author = member('org-1');
const colleague = member('org-1', 'u-colleague');
const stranger = member('org-2');
const auditor: Viewer = { userId: 'u-auditor', roles: ['auditor'] };
const admin: Viewer = { userId: 'u-admin', roles: ['admin'] };
const caller: Caller = { authorization: 'Bearer member-token', requestId: 'req-1' };

/** A complete, valid paid course under 编程开发 (1-3) / Python (1-3-2). */
const valid = (overrides: CourseFields = {}): CourseFields => ({
  name: 'Python from scratch',
  audience: 'Beginners who have never programmed',
  mt: '1-3',
  st: '1-3-2',
  grade: CourseGrade.BEGINNER,
  teachingMode: TeachingMode.RECORDED,
  charge: Charge.PAID,
  price: '199',
  ...overrides,
});

/** Passes when `error` is BAD_USER_INPUT naming exactly `fields`, each with a message, all of them in the error's message. */
const badFields =
  (...fields: string[]) =>
  (error: unknown): true => {
    appError('BAD_USER_INPUT')(error);
    const problems = (error as AppError).details.fields ?? [];
    assert.deepEqual(problems.map((p) => p.field).sort(), [...fields].sort(), (error as AppError).message);
    for (const p of problems) {
      assert.ok(p.message.length > 0);
      assert.ok((error as AppError).message.includes(`${p.field} ${p.message}`), `the message names ${p.field}`);
    }
    return true;
  };

const chars = (n: number, char = 'x') => char.repeat(n);

for (const factory of testDatabases('courses')) {
  describe(`courses on ${factory.kind}`, () => {
    const db = migratedTestDatabase(factory, { entities: contentEntities, migrations: contentMigrations });
    let media: FakeMediaDirectory;
    beforeEach(() => {
      media = new FakeMediaDirectory()
        .add({ id: IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'cover.png' })
        .add({ id: SECOND_IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'cover-2.png' })
        .add({ id: OTHER_ORG_IMAGE_ID, type: 'IMAGE', organisationId: 'org-2', fileName: 'theirs.png' })
        .add({ id: VIDEO_ID, type: 'VIDEO', organisationId: 'org-1', fileName: 'lesson.mp4' })
        .add({ id: DOCUMENT_ID, type: 'DOCUMENT', organisationId: 'org-1', fileName: 'notes.pdf' });
    });

    /** A service over a fresh EntityManager, as each request gets one. */
    const service = () => {
      const em = db.orm.em.fork();
      return new CourseService(new CourseRepository(em), new CourseCategoryRepository(em), media);
    };
    const stored = (id: string) => db.orm.em.fork().findOne(Course, { id }, { populate: ['market'] });
    const countOf = (organisationId: string) => db.orm.em.fork().count(Course, { organisationId });
    /** Changes a stored course behind the service's back, as other features (audit, publish) or time would. */
    const setStored = async (
      id: string,
      change: Partial<Pick<Course, 'auditStatus' | 'publishStatus' | 'changedAt'>>,
    ) => {
      const em = db.orm.em.fork();
      Object.assign(await em.findOneOrFail(Course, { id }), change);
      await em.flush();
    };
    const setShown = async (id: string, isShow: boolean) => {
      const em = db.orm.em.fork();
      (await em.findOneOrFail(CourseCategory, { id })).isShow = isShow;
      await em.flush();
    };

    describe('create', () => {
      test('a new course is not submitted, unpublished, stamped with its author, base and market both stored', async () => {
        const before = Date.now();
        const course = await service().create(
          author,
          caller,
          valid({ tags: 'python,basics', validDays: 365, qq: '123456', coverMediaId: IMAGE_ID }),
        );
        assert.match(course.id, /^\d+$/);
        assert.equal(course.organisationId, 'org-1');
        assert.equal(course.auditStatus, AuditStatus.NOT_SUBMITTED);
        assert.equal(course.publishStatus, PublishStatus.UNPUBLISHED);
        assert.equal(course.createdBy, 'u-org-1');
        assert.equal(course.changedBy, 'u-org-1');
        assert.equal(course.coverMediaId, IMAGE_ID);
        assert.deepEqual(course.market, {
          charge: Charge.PAID,
          price: '199.00',
          originalPrice: undefined,
          qq: '123456',
          wechat: undefined,
          phone: undefined,
          validDays: 365,
        });

        const row = await stored(course.id);
        assert.ok(row, 'course_base row written');
        assert.equal(row.name, 'Python from scratch');
        assert.equal(row.mt, '1-3');
        assert.equal(row.st, '1-3-2');
        assert.equal(row.auditStatus, AuditStatus.NOT_SUBMITTED);
        assert.equal(row.publishStatus, PublishStatus.UNPUBLISHED);
        assert.ok(Math.abs(row.createdAt.getTime() - before) < 60_000, 'createdAt is now');
        assert.equal(row.createdAt.getTime(), row.changedAt.getTime());
        const market = await db.orm.em.fork().findOne(CourseMarket, { course: course.id });
        assert.ok(market, 'course_market row written under the same id');
        assert.equal(market.charge, Charge.PAID);
        assert.equal(market.validDays, 365);
        assert.deepEqual(
          media.lookups,
          [{ id: IMAGE_ID, caller }],
          "the cover was checked with the caller's credentials",
        );
      });

      test('exact decimals survive a round trip unchanged, normalised to two places', async () => {
        const cases = [
          ['19.90', '29.99', '19.90', '29.99'],
          ['0.01', '0.01', '0.01', '0.01'],
          ['99999999.99', undefined, '99999999.99', undefined],
          ['199', '299.5', '199.00', '299.50'],
          ['012.3', '12.30', '12.30', '12.30'],
          ['12345678.91', '12345678.92', '12345678.91', '12345678.92'],
        ] as const;
        for (const [price, originalPrice, expectedPrice, expectedOriginal] of cases) {
          const created = await service().create(author, caller, valid({ price, originalPrice }));
          assert.equal(created.market?.price, expectedPrice, `created with ${price}`);
          const reread = await service().get(author, created.id);
          assert.equal(reread.market?.price, expectedPrice, `read back ${price}`);
          assert.equal(reread.market?.originalPrice, expectedOriginal, `read back original ${originalPrice}`);
          const [stored] = await db.orm.em
            .fork()
            .getConnection()
            .execute('select price_cents from course_market where id = ?', [created.id]);
          assert.equal(
            String(stored.price_cents),
            expectedPrice.replace('.', '').replace(/^0+(?=\d)/, ''),
            'stored as whole cents',
          );
        }
      });

      test('FREE forces the price to 0.00 and clears the original price, whatever was sent', async () => {
        const course = await service().create(
          author,
          caller,
          valid({ charge: Charge.FREE, price: '50', originalPrice: '80' }),
        );
        assert.equal(course.market?.price, '0.00');
        assert.equal(course.market?.originalPrice, undefined);
        const row = await stored(course.id);
        assert.equal(course.market?.charge, Charge.FREE);
        assert.equal(row?.market?.originalPrice ?? undefined, undefined);
        assert.equal((await service().get(author, course.id)).market?.price, '0.00');
        const withoutPrice = await service().create(author, caller, valid({ charge: Charge.FREE, price: undefined }));
        assert.equal(withoutPrice.market?.price, '0.00');
      });

      test('text is trimmed and empty optional fields are left out', async () => {
        const course = await service().create(
          author,
          caller,
          valid({
            name: '  Python from scratch  ',
            audience: ' Beginners ',
            tags: '   ',
            description: '',
            qq: ' ',
            wechat: '  py-teacher ',
            phone: ' +86 138-0000-0000 ',
          }),
        );
        assert.equal(course.name, 'Python from scratch');
        assert.equal(course.audience, 'Beginners');
        assert.equal(course.tags, undefined);
        assert.equal(course.description, undefined);
        assert.equal(course.market?.qq, undefined);
        assert.equal(course.market?.wechat, 'py-teacher');
        assert.equal(course.market?.phone, '+86 138-0000-0000');
        assert.equal((await stored(course.id))?.name, 'Python from scratch');
      });

      test('only members of an organisation may create courses', async () => {
        const before = await countOf('org-1');
        await assert.rejects(service().create(anonymous, caller, valid()), appError('UNAUTHENTICATED'));
        await assert.rejects(service().create(auditor, caller, valid()), appError('FORBIDDEN', /member/));
        await assert.rejects(
          service().create({ ...admin, organisationId: 'org-1' }, caller, valid()),
          appError('FORBIDDEN', /member/),
        );
        await assert.rejects(
          service().create({ userId: 'u-lost', roles: ['member'] }, caller, valid()),
          appError('FORBIDDEN', /organisation/),
        );
        assert.equal(await countOf('org-1'), before);
        assert.deepEqual(media.lookups, []);
      });

      test('base and market are written in one transaction: a failed market write leaves no course behind', async () => {
        const connection = db.orm.em.getConnection();
        await connection.execute('alter table course_market rename to course_market_away');
        try {
          await assert.rejects(service().create(author, caller, valid({ name: 'Half written' })));
        } finally {
          await connection.execute('alter table course_market_away rename to course_market');
        }
        assert.equal(await db.orm.em.fork().count(Course, { name: 'Half written' }), 0);
      });
    });

    describe('validation', () => {
      const refused: [string, CourseFields, string][] = [
        ['a missing name', { name: undefined }, 'name'],
        ['a blank name', { name: '   ' }, 'name'],
        ['a name over 100 characters', { name: chars(101, '课') }, 'name'],
        ['a missing audience', { audience: undefined }, 'audience'],
        ['an audience over 500 characters', { audience: chars(501) }, 'audience'],
        ['tags over 200 characters', { tags: chars(201) }, 'tags'],
        ['a description over 5000 characters', { description: chars(5001) }, 'description'],
        ['a missing mt', { mt: undefined }, 'mt'],
        ['an unknown mt', { mt: '1-99' }, 'mt'],
        ['a minor as mt', { mt: '1-3-2' }, 'mt'],
        ['the hidden root as mt', { mt: '1' }, 'mt'],
        ['a missing st', { st: undefined }, 'st'],
        ['an unknown st', { st: '1-3-99' }, 'st'],
        ['a major as st', { st: '1-4' }, 'st'],
        ['an st under another major', { st: '1-4-1' }, 'st'],
        ['a missing grade', { grade: undefined }, 'grade'],
        ['an unknown grade', { grade: 'EXPERT' as CourseGrade }, 'grade'],
        ['a missing teaching mode', { teachingMode: undefined }, 'teachingMode'],
        ['an unknown teaching mode', { teachingMode: 'CORRESPONDENCE' as TeachingMode }, 'teachingMode'],
        ['a missing charge', { charge: undefined }, 'charge'],
        ['an unknown charge', { charge: 'DONATION' as Charge }, 'charge'],
        ['a paid course without a price', { price: undefined }, 'price'],
        ['a paid course with a blank price', { price: ' ' }, 'price'],
        ['a paid course priced 0', { price: '0' }, 'price'],
        ['a paid course priced 0.00', { price: '0.00' }, 'price'],
        ['a negative price', { price: '-1' }, 'price'],
        ['a price with three decimals', { price: '1.999' }, 'price'],
        ['a price with nine digits', { price: '123456789' }, 'price'],
        ['a price in exponent notation', { price: '1e3' }, 'price'],
        ['a price that is not a number', { price: 'cheap' }, 'price'],
        ['a price with a trailing dot', { price: '12.' }, 'price'],
        ['an original price that is not a number', { originalPrice: '12,50' }, 'originalPrice'],
        ['an original price below the price', { price: '19.90', originalPrice: '19.89' }, 'originalPrice'],
        ['a qq of 4 digits', { qq: '1234' }, 'qq'],
        ['a qq of 13 digits', { qq: chars(13, '1') }, 'qq'],
        ['a qq with letters', { qq: '12345a' }, 'qq'],
        ['a phone of 5 characters', { phone: '12345' }, 'phone'],
        ['a phone of 21 characters', { phone: chars(21, '1') }, 'phone'],
        ['a phone with letters', { phone: '138-call-me' }, 'phone'],
        ['a wechat over 64 characters', { wechat: chars(65) }, 'wechat'],
        ['validDays 0', { validDays: 0 }, 'validDays'],
        ['validDays over 3650', { validDays: 3651 }, 'validDays'],
        ['fractional validDays', { validDays: 1.5 }, 'validDays'],
      ];
      for (const [what, overrides, field] of refused) {
        test(`${what} is refused, naming ${field}`, async () => {
          const before = await countOf('org-1');
          await assert.rejects(service().create(author, caller, valid(overrides)), badFields(field));
          assert.equal(await countOf('org-1'), before, 'nothing stored');
        });
      }

      test('the limits themselves are accepted', async () => {
        const course = await service().create(
          author,
          caller,
          valid({
            name: chars(100, '课'),
            audience: chars(500, '人'),
            tags: chars(200),
            description: chars(5000),
            price: '0.01',
            originalPrice: '0.01',
            qq: '12345',
            phone: '+86 138-0000-0000',
            wechat: chars(64),
            validDays: 3650,
          }),
        );
        assert.equal([...course.name].length, 100);
        await service().create(
          author,
          caller,
          valid({ price: '99999999.99', qq: chars(12, '9'), phone: '123456', validDays: 1 }),
        );
      });

      test('one request with several problems lists every one of them', async () => {
        const error = await service()
          .create(
            author,
            caller,
            valid({
              name: '',
              audience: chars(501),
              mt: '1-99',
              st: '1-3-99',
              price: '0',
              originalPrice: 'abc',
              qq: '12',
              validDays: 0,
              coverMediaId: VIDEO_ID,
            }),
          )
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        badFields('name', 'audience', 'mt', 'st', 'price', 'originalPrice', 'qq', 'validDays', 'coverMediaId')(error);
      });

      test('a hidden major or minor cannot be chosen', async () => {
        await setShown('1-5', false);
        try {
          await assert.rejects(service().create(author, caller, valid({ mt: '1-5', st: '1-5-1' })), badFields('mt'));
        } finally {
          await setShown('1-5', true);
        }
        await setShown('1-3-2', false);
        try {
          await assert.rejects(service().create(author, caller, valid()), badFields('st'));
        } finally {
          await setShown('1-3-2', true);
        }
      });

      describe('cover', () => {
        const cases: [string, string, RegExp][] = [
          ['unknown media', UNKNOWN_ID, /not in your media library/],
          ["another organisation's image", OTHER_ORG_IMAGE_ID, /another organisation/],
          ['a video', VIDEO_ID, /must be an image/],
          ['a document', DOCUMENT_ID, /must be an image/],
        ];
        for (const [what, coverMediaId, message] of cases) {
          test(`${what} is refused as a cover`, async () => {
            const error = await service()
              .create(author, caller, valid({ coverMediaId }))
              .then(
                () => undefined,
                (e: unknown) => e,
              );
            badFields('coverMediaId')(error);
            assert.match((error as AppError).details.fields?.[0].message ?? '', message);
            assert.deepEqual(media.lookups, [{ id: coverMediaId, caller }]);
          });
        }

        test('no cover is fine and needs no lookup', async () => {
          const course = await service().create(author, caller, valid({ coverMediaId: null }));
          assert.equal(course.coverMediaId, undefined);
          assert.deepEqual(media.lookups, []);
        });
      });
    });

    describe('update', () => {
      test('changes only the given fields, stamps who and when, and keeps the rest', async () => {
        const created = await service().create(
          author,
          caller,
          valid({ tags: 'py', description: 'All about Python', qq: '123456', validDays: 30, coverMediaId: IMAGE_ID }),
        );
        await setStored(created.id, { changedAt: new Date('2020-01-01T00:00:00Z') });
        const updated = await service().update(colleague, caller, created.id, {
          name: 'Python, properly',
          validDays: 60,
        });
        assert.equal(updated.name, 'Python, properly');
        assert.equal(updated.changedBy, 'u-colleague');
        assert.ok(updated.changedAt.getTime() > new Date('2021-01-01').getTime(), 'changedAt moved on');
        assert.deepEqual(updated.market, { ...created.market, validDays: 60 });
        const kept = [
          'id',
          'organisationId',
          'audience',
          'tags',
          'mt',
          'st',
          'grade',
          'teachingMode',
          'description',
          'coverMediaId',
          'auditStatus',
          'publishStatus',
          'createdBy',
        ] as const;
        for (const key of kept) assert.equal(updated[key], created[key], key);

        const row = await stored(created.id);
        assert.equal(row?.name, 'Python, properly');
        assert.equal(row?.changedBy, 'u-colleague');
        assert.ok((row?.changedAt.getTime() ?? 0) > new Date('2021-01-01').getTime());
        assert.equal(row?.description, 'All about Python');
        assert.equal(row?.market?.validDays, 60);
        assert.equal(row?.market?.qq, '123456');
        assert.deepEqual(media.lookups, [{ id: IMAGE_ID, caller }], 'the kept cover was not looked up again');
      });

      test('the merged course is validated as a whole', async () => {
        const free = await service().create(author, caller, valid({ charge: Charge.FREE }));
        await assert.rejects(service().update(author, caller, free.id, { charge: Charge.PAID }), badFields('price'));
        await assert.rejects(service().update(author, caller, free.id, { mt: '1-4' }), badFields('st'));
        await assert.rejects(service().update(author, caller, free.id, { st: '1-4-1' }), badFields('st'));
        await assert.rejects(
          service().update(author, caller, free.id, { name: chars(101), qq: 'qq' }),
          badFields('name', 'qq'),
        );
        const row = await stored(free.id);
        assert.equal(row?.market?.charge, Charge.FREE, 'nothing changed');
        assert.equal(row?.mt, '1-3');
        assert.equal(row?.name, 'Python from scratch');

        const paid = await service().update(author, caller, free.id, { charge: Charge.PAID, price: '19.9' });
        assert.equal(paid.market?.price, '19.90');
        const moved = await service().update(author, caller, free.id, { mt: '1-4', st: '1-4-2' });
        assert.deepEqual([moved.mt, moved.st], ['1-4', '1-4-2']);
        const paidRow = await stored(free.id);
        assert.equal(paidRow?.market?.charge, Charge.PAID);
        assert.equal(paidRow?.st, '1-4-2');
      });

      test('a price that no longer suits the original price is refused', async () => {
        const course = await service().create(author, caller, valid({ price: '100', originalPrice: '150' }));
        await assert.rejects(
          service().update(author, caller, course.id, { price: '150.01' }),
          badFields('originalPrice'),
        );
        assert.equal((await service().update(author, caller, course.id, { price: '150' })).market?.price, '150.00');
      });

      test('switching to FREE sets the price to 0.00 and clears the original price', async () => {
        const course = await service().create(author, caller, valid({ price: '88.8', originalPrice: '99.9' }));
        const free = await service().update(author, caller, course.id, { charge: Charge.FREE });
        assert.deepEqual([free.market?.price, free.market?.originalPrice], ['0.00', undefined]);
        const reread = await service().get(author, course.id);
        assert.deepEqual(
          [reread.market?.charge, reread.market?.price, reread.market?.originalPrice],
          [Charge.FREE, '0.00', undefined],
        );
      });

      test('null clears optional fields and is refused for required ones', async () => {
        const course = await service().create(
          author,
          caller,
          valid({
            tags: 't',
            description: 'd',
            qq: '123456',
            wechat: 'w',
            phone: '123456',
            validDays: 7,
            originalPrice: '300',
          }),
        );
        const cleared = await service().update(author, caller, course.id, {
          tags: null,
          description: null,
          qq: null,
          wechat: null,
          phone: null,
          validDays: null,
          originalPrice: null,
        });
        assert.deepEqual([cleared.tags, cleared.description], [undefined, undefined]);
        assert.deepEqual(cleared.market, {
          charge: Charge.PAID,
          price: '199.00',
          originalPrice: undefined,
          qq: undefined,
          wechat: undefined,
          phone: undefined,
          validDays: undefined,
        });
        const reread = await service().get(author, course.id);
        assert.deepEqual(reread.market, cleared.market, 'cleared in the database too');
        assert.equal(reread.tags, undefined);
        assert.equal(reread.description, undefined);

        await assert.rejects(
          service().update(author, caller, course.id, {
            name: null,
            audience: null,
            mt: null,
            st: null,
            grade: null,
            teachingMode: null,
            charge: null,
          }),
          badFields('name', 'audience', 'mt', 'st', 'grade', 'teachingMode', 'charge'),
        );
      });

      test('the cover is checked when it changes, kept when resent, and cleared by null', async () => {
        const course = await service().create(author, caller, valid({ coverMediaId: IMAGE_ID }));
        media.lookups.length = 0;
        await assert.rejects(
          service().update(author, caller, course.id, { coverMediaId: VIDEO_ID }),
          badFields('coverMediaId'),
        );
        await assert.rejects(
          service().update(author, caller, course.id, { coverMediaId: OTHER_ORG_IMAGE_ID }),
          badFields('coverMediaId'),
        );
        await assert.rejects(
          service().update(author, caller, course.id, { coverMediaId: UNKNOWN_ID }),
          badFields('coverMediaId'),
        );
        assert.equal((await stored(course.id))?.coverMediaId, IMAGE_ID, 'a refused cover keeps the old one');

        assert.equal(
          (await service().update(author, caller, course.id, { coverMediaId: SECOND_IMAGE_ID })).coverMediaId,
          SECOND_IMAGE_ID,
        );
        const lookups = media.lookups.length;
        await service().update(author, caller, course.id, { coverMediaId: SECOND_IMAGE_ID, name: 'Same cover' });
        assert.equal(media.lookups.length, lookups, 'an unchanged cover is not looked up again');

        const cleared = await service().update(author, caller, course.id, { coverMediaId: null });
        assert.equal(cleared.coverMediaId, undefined);
        assert.equal((await stored(course.id))?.coverMediaId ?? undefined, undefined);
      });

      test('an update merges over the course as it is when locked, not as first read', async () => {
        const course = await service().create(author, caller, valid({ price: '100' }));
        // Another request makes the course free while this one waits for the media directory.
        const racing = new (class extends FakeMediaDirectory {
          override async find(id: string, from: Caller) {
            const em = db.orm.em.fork();
            const market = await em.findOneOrFail(CourseMarket, { course: course.id });
            Object.assign(market, { charge: Charge.FREE, price: '0.00' });
            await em.flush();
            return super.find(id, from);
          }
        })().add({ id: SECOND_IMAGE_ID, type: 'IMAGE', organisationId: 'org-1', fileName: 'cover-2.png' });
        const em = db.orm.em.fork();
        const racingService = new CourseService(new CourseRepository(em), new CourseCategoryRepository(em), racing);
        const updated = await racingService.update(author, caller, course.id, {
          coverMediaId: SECOND_IMAGE_ID,
          originalPrice: '150',
        });
        assert.deepEqual(
          [updated.market?.charge, updated.market?.price, updated.market?.originalPrice],
          [Charge.FREE, '0.00', undefined],
        );
        const row = await stored(course.id);
        assert.deepEqual(
          [row?.market?.charge, row?.market?.originalPrice ?? undefined, row?.coverMediaId],
          [Charge.FREE, undefined, SECOND_IMAGE_ID],
        );
      });

      test('editing is allowed in every audit and publish state', async () => {
        const course = await service().create(author, caller, valid());
        for (const auditStatus of [AuditStatus.SUBMITTED, AuditStatus.APPROVED, AuditStatus.REJECTED]) {
          await setStored(course.id, { auditStatus, publishStatus: PublishStatus.PUBLISHED });
          const updated = await service().update(author, caller, course.id, { name: `Edited while ${auditStatus}` });
          assert.equal(updated.auditStatus, auditStatus, 'the audit status is not touched by an edit');
          assert.equal((await stored(course.id))?.name, `Edited while ${auditStatus}`);
        }
      });
    });

    describe('access', () => {
      test("another organisation's course is NOT_FOUND for get, update and delete, and absent from its list", async () => {
        const course = await service().create(author, caller, valid({ name: 'Private to org-1' }));
        await assert.rejects(
          service().get(stranger, course.id),
          appError('NOT_FOUND', new RegExp(`Course ${course.id}`)),
        );
        await assert.rejects(service().update(stranger, caller, course.id, { name: 'Taken' }), appError('NOT_FOUND'));
        await assert.rejects(service().delete(stranger, course.id), appError('NOT_FOUND'));
        assert.equal((await stored(course.id))?.name, 'Private to org-1');
        const theirs = await service().list(stranger, {}, { offset: 0, limit: 100, page: 1, size: 100 });
        assert.ok(!theirs.items.some((c) => c.id === course.id));
        assert.ok(theirs.items.every((c) => c.organisationId === 'org-2'));
        const asked = await service().list(
          stranger,
          { organisationId: 'org-1' },
          { offset: 0, limit: 100, page: 1, size: 100 },
        );
        assert.deepEqual(
          asked,
          { items: [], total: 0 },
          "a member cannot list another organisation's courses by asking",
        );
      });

      test('auditors and admins read any course but may not change it', async () => {
        const course = await service().create(author, caller, valid());
        for (const staff of [auditor, admin]) {
          assert.equal((await service().get(staff, course.id)).id, course.id);
          await assert.rejects(
            service().update(staff, caller, course.id, { name: 'Staff edit' }),
            appError('FORBIDDEN', /org-1/),
          );
          await assert.rejects(service().delete(staff, course.id), appError('FORBIDDEN'));
        }
        assert.ok(await stored(course.id));
        assert.equal((await stored(course.id))?.name, 'Python from scratch');
      });

      test('anonymous viewers must sign in', async () => {
        const course = await service().create(author, caller, valid());
        await assert.rejects(service().get(anonymous, course.id), appError('UNAUTHENTICATED'));
        await assert.rejects(
          service().list(anonymous, {}, { offset: 0, limit: 10, page: 1, size: 10 }),
          appError('UNAUTHENTICATED'),
        );
        await assert.rejects(
          service().update(anonymous, caller, course.id, { name: 'x' }),
          appError('UNAUTHENTICATED'),
        );
        await assert.rejects(service().delete(anonymous, course.id), appError('UNAUTHENTICATED'));
      });

      test('unknown ids, and ids that cannot name a course, are NOT_FOUND', async () => {
        for (const id of ['abc', '0', '-1', '1.5', '', '99999999999']) {
          await assert.rejects(service().get(author, id), appError('NOT_FOUND'), id);
          await assert.rejects(service().update(author, caller, id, { name: 'x' }), appError('NOT_FOUND'), id);
          await assert.rejects(service().delete(author, id), appError('NOT_FOUND'), id);
        }
      });

      test('references resolve only the courses the viewer may read, in one batch', async () => {
        const mine = await service().create(author, caller, valid());
        const theirs = await service().create(stranger, caller, valid());
        const seen = await service().references(author, [mine.id, theirs.id, 'nonsense', '99999999999']);
        assert.deepEqual([...seen.keys()], [mine.id]);
        assert.equal(seen.get(mine.id)?.market?.price, '199.00');
        assert.deepEqual(
          [...(await service().references(auditor, [mine.id, theirs.id])).keys()].sort(),
          [mine.id, theirs.id].sort(),
        );
        assert.equal((await service().references(anonymous, [mine.id])).size, 0);
      });
    });

    describe('delete', () => {
      test('removes the course with its market, plan, bindings and teachers, and nothing else', async () => {
        const doomed = await service().create(author, caller, valid({ name: 'Doomed' }));
        const kept = await service().create(author, caller, valid({ name: 'Kept' }));
        const addParts = async (courseId: string) => {
          const em = db.orm.em.fork();
          const chapter = em.create(Teachplan, {
            courseId,
            parentId: CHAPTER_PARENT,
            grade: 1,
            name: 'Chapter 1',
            orderBy: 1,
          });
          await em.flush();
          const section = em.create(Teachplan, {
            courseId,
            parentId: chapter.id,
            grade: 2,
            name: 'Section 1.1',
            orderBy: 1,
          });
          await em.flush();
          em.create(TeachplanMedia, {
            teachplanId: section.id,
            courseId,
            mediaId: VIDEO_ID,
            mediaFileName: 'lesson.mp4',
            createdBy: 'u-org-1',
          });
          em.create(CourseTeacher, { courseId, name: 'Ms. Li' });
          await em.flush();
        };
        await addParts(doomed.id);
        await addParts(kept.id);
        const parts = async (courseId: string) => {
          const em = db.orm.em.fork();
          return [
            await em.count(Course, { id: courseId }),
            await em.count(CourseMarket, { course: courseId }),
            await em.count(Teachplan, { courseId }),
            await em.count(TeachplanMedia, { courseId }),
            await em.count(CourseTeacher, { courseId }),
          ];
        };
        assert.deepEqual(await parts(doomed.id), [1, 1, 2, 1, 1]);

        assert.equal(await service().delete(colleague, doomed.id), true);
        assert.deepEqual(
          await parts(doomed.id),
          [0, 0, 0, 0, 0],
          'base, market, plan, binding and teacher rows are gone',
        );
        assert.deepEqual(await parts(kept.id), [1, 1, 2, 1, 1], "another course's rows stay");
        await assert.rejects(service().get(author, doomed.id), appError('NOT_FOUND'));
        await assert.rejects(service().delete(author, doomed.id), appError('NOT_FOUND'), 'deleting twice is NOT_FOUND');
      });

      test('a course once submitted for audit cannot be deleted', async () => {
        const course = await service().create(author, caller, valid());
        for (const auditStatus of [AuditStatus.SUBMITTED, AuditStatus.APPROVED, AuditStatus.REJECTED]) {
          await setStored(course.id, { auditStatus });
          await assert.rejects(
            service().delete(author, course.id),
            appError('CONFLICT', new RegExp(`Course ${course.id} cannot be deleted.*${auditStatus}.*never submitted`)),
          );
          assert.ok(await stored(course.id), `still there while ${auditStatus}`);
          assert.ok((await stored(course.id))?.market, 'market kept');
        }
      });
    });

    describe('list', () => {
      const everything = { offset: 0, limit: 100, page: 1, size: 100 };
      const names = (items: CourseView[]) => items.map((c) => c.name).sort();

      test('filters by name literally and ignoring case', async () => {
        const org = member('org-names');
        for (const name of [
          '100% Python',
          '100 percent Python',
          'snake_case naming',
          'snakeXcase naming',
          'TYPESCRIPT Basics',
          '人工智能入门',
        ]) {
          await service().create(org, caller, valid({ name }));
        }
        const find = async (name: string) => names((await service().list(org, { name }, everything)).items);
        assert.deepEqual(await find('%'), ['100% Python']);
        assert.deepEqual(await find('_'), ['snake_case naming']);
        assert.deepEqual(await find('typescript'), ['TYPESCRIPT Basics']);
        assert.deepEqual(await find('PYTHON'), ['100 percent Python', '100% Python']);
        assert.deepEqual(await find('智能'), ['人工智能入门']);
        assert.equal((await service().list(org, { name: '  ' }, everything)).total, 6, 'a blank name filters nothing');
      });

      test('filters by audit and publish status', async () => {
        const org = member('org-status');
        const a = await service().create(org, caller, valid({ name: 'A' }));
        const b = await service().create(org, caller, valid({ name: 'B' }));
        await service().create(org, caller, valid({ name: 'C' }));
        await setStored(a.id, { auditStatus: AuditStatus.APPROVED, publishStatus: PublishStatus.PUBLISHED });
        await setStored(b.id, { auditStatus: AuditStatus.SUBMITTED });
        const list = async (filter: { auditStatus?: AuditStatus; publishStatus?: PublishStatus }) =>
          names((await service().list(org, filter, everything)).items);
        assert.deepEqual(await list({ auditStatus: AuditStatus.NOT_SUBMITTED }), ['C']);
        assert.deepEqual(await list({ auditStatus: AuditStatus.SUBMITTED }), ['B']);
        assert.deepEqual(await list({ publishStatus: PublishStatus.PUBLISHED }), ['A']);
        assert.deepEqual(await list({ publishStatus: PublishStatus.UNPUBLISHED }), ['B', 'C']);
        assert.deepEqual(
          await list({ auditStatus: AuditStatus.APPROVED, publishStatus: PublishStatus.UNPUBLISHED }),
          [],
        );
      });

      test('pages in a stable order, most recently changed first, ties broken by id, with the total on every page', async () => {
        const org = member('org-paging');
        const ids: string[] = [];
        for (const name of ['One', 'Two', 'Three', 'Four', 'Five'])
          ids.push((await service().create(org, caller, valid({ name }))).id);
        const at = (day: number) => new Date(Date.UTC(2024, 0, day));
        await setStored(ids[0], { changedAt: at(3) });
        await setStored(ids[1], { changedAt: at(5) });
        await setStored(ids[2], { changedAt: at(3) });
        await setStored(ids[3], { changedAt: at(1) });
        await setStored(ids[4], { changedAt: at(3) });
        const expected = [ids[1], ids[4], ids[2], ids[0], ids[3]];

        const pages = [];
        for (const page of [1, 2, 3])
          pages.push(await service().list(org, {}, { offset: (page - 1) * 2, limit: 2, page, size: 2 }));
        assert.deepEqual(
          pages.map((p) => p.total),
          [5, 5, 5],
        );
        assert.deepEqual(
          pages.map((p) => p.items.length),
          [2, 2, 1],
        );
        assert.deepEqual(
          pages.flatMap((p) => p.items.map((c) => c.id)),
          expected,
        );
        assert.deepEqual((await service().list(org, {}, { offset: 10, limit: 2, page: 6, size: 2 })).items, []);

        await service().update(org, caller, ids[3], { name: 'Four, edited' });
        assert.equal(
          (await service().list(org, {}, everything)).items[0].id,
          ids[3],
          'an edit moves the course to the top',
        );
      });

      test('auditors and admins list every organisation, or one by organisationId', async () => {
        await service().create(member('org-staff-a'), caller, valid({ name: 'Staff A' }));
        await service().create(member('org-staff-b'), caller, valid({ name: 'Staff B' }));
        for (const staff of [auditor, admin]) {
          const all = await service().list(staff, {}, { offset: 0, limit: 1000, page: 1, size: 1000 });
          const organisations = new Set(all.items.map((c) => c.organisationId));
          assert.ok(organisations.has('org-staff-a') && organisations.has('org-staff-b') && organisations.has('org-1'));
          assert.equal(all.total, await db.orm.em.fork().count(Course, {}));
          const one = await service().list(staff, { organisationId: 'org-staff-b' }, everything);
          assert.deepEqual(names(one.items), ['Staff B']);
          assert.equal(one.total, 1);
        }
      });
    });

    test('category names come from one read of the tree, hidden ones included', async () => {
      await setShown('1-7', false);
      try {
        const found = await service().categoryNames(['1-3', '1-3-2', '1-7', '1-99']);
        assert.deepEqual(Object.fromEntries(found), { '1-3': '编程开发', '1-3-2': 'Python', '1-7': 'UI设计' });
      } finally {
        await setShown('1-7', true);
      }
    });
  });
}
