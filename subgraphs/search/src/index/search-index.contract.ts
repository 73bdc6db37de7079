import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { queryTerms } from '../text/tokens';
import { courseText } from './course-text';
import {
  CourseSearchSort,
  type CourseSearchHit,
  type CourseSearchQuery,
  type FacetCount,
  type SearchIndex,
} from './search-index';

let nextId = 1;

/** A valid document; every test names only what it is about. */
export function courseDocument(overrides: Partial<CourseDocument> = {}): CourseDocument {
  const id = String(nextId++);
  return {
    id: `t${id}`,
    version: 1,
    name: `课程${id}`,
    organisationId: 'org-1',
    organisationName: '云帆教育',
    mt: '1-10',
    mtName: '研发管理',
    st: '1-10-3',
    stName: '项目管理',
    grade: CourseGrade.BEGINNER,
    teachingMode: TeachingMode.RECORDED,
    tags: [],
    audience: '开发者',
    description: '',
    coverUrl: null,
    charge: Charge.PAID,
    price: '99.00',
    originalPrice: null,
    validDays: 365,
    publishedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const query = (overrides: Partial<CourseSearchQuery> = {}): CourseSearchQuery => ({
  sort: CourseSearchSort.RELEVANCE,
  offset: 0,
  limit: 100,
  ...overrides,
});

/**
 * What a search must return over `documents`, worked out without SQL: every query term among a
 * course's index tokens (prefix terms as prefixes), then the filters and facets by definition.
 */
function expected(documents: CourseDocument[], q: CourseSearchQuery) {
  const terms = q.keyword?.trim() ? queryTerms(q.keyword) : undefined;
  const matches = documents.filter((document) => {
    if (!terms) return true;
    const tokens = Object.values(courseText(document)).flat();
    return (
      terms.length > 0 &&
      terms.every((term) => tokens.some((token) => (term.prefix ? token.startsWith(term.token) : token === term.token)))
    );
  });
  const filters = ['mt', 'st', 'grade', 'charge'] as const;
  const passing = (document: CourseDocument, except?: string) =>
    filters.every((f) => f === except || q[f] === undefined || document[f] === q[f]);
  const facet = (own: 'mt' | 'st' | 'grade') => {
    const counts = new Map<string, number>();
    for (const document of matches.filter((d) => passing(d, own)))
      counts.set(document[own], (counts.get(document[own]) ?? 0) + 1);
    return [...counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  };
  return {
    ids: matches.filter((d) => passing(d)).map((d) => d.id),
    mt: facet('mt'),
    st: facet('st'),
    grade: facet('grade'),
  };
}

const counts = (facet: FacetCount[]) => facet.map(({ value, count }) => ({ value, count }));
const ids = async (index: SearchIndex, q: Partial<CourseSearchQuery>) =>
  (await index.search(query(q))).hits.map((hit) => hit.document.id);

/** The behaviour every SearchIndex adapter must have, run against each one. */
export function searchIndexContract(name: string, open: () => Promise<SearchIndex>) {
  describe(`${name}: search index contract`, () => {
    let index: SearchIndex;
    before(async () => {
      index = await open();
    });
    after(async () => {
      await index?.close();
    });

    describe('matching', () => {
      const spring = courseDocument({ name: 'Spring微服务架构实战', tags: ['Spring Cloud', '微服务'] });
      const boot = courseDocument({ name: 'SpringBoot 快速上手', description: '用 SpringBoot 写接口' });
      const micro = courseDocument({
        name: 'Go语言微服务',
        mt: '1-3',
        mtName: '编程开发',
        st: '1-3-3',
        stName: 'Go',
        description: '服务拆分与治理',
      });
      const vue = courseDocument({
        name: 'Vue3前端课',
        mt: '1-1',
        mtName: '前端开发',
        st: '1-1-4',
        stName: 'Vue',
        tags: ['组件化'],
      });
      const python = courseDocument({
        name: 'Python 数据分析入门',
        mt: '1-3',
        mtName: '编程开发',
        st: '1-3-2',
        stName: 'Python',
        description: '数据清洗，可视化',
      });
      const fullWidth = courseDocument({ name: 'ＪＡＶＡ面试题精讲', description: '高频面试' });
      const documents = [spring, boot, micro, vue, python, fullWidth];
      before(async () => {
        assert.equal(await index.replaceAll(documents), documents.length);
      });

      test('a one-character Chinese query finds the names and tags holding that character', async () => {
        assert.deepEqual(await ids(index, { keyword: '课' }), [vue.id]);
        assert.deepEqual((await ids(index, { keyword: '语' })).sort(), [micro.id]);
      });

      test('a two-character Chinese query finds the word in names and descriptions', async () => {
        assert.deepEqual((await ids(index, { keyword: '数据' })).sort(), [python.id]);
        assert.deepEqual((await ids(index, { keyword: '面试' })).sort(), [fullWidth.id]);
        assert.deepEqual((await ids(index, { keyword: '服务' })).sort(), [spring.id, micro.id].sort());
      });

      test('English matches whole words and prefixes, ignoring case and full-width forms', async () => {
        assert.deepEqual((await ids(index, { keyword: 'SPRING' })).sort(), [spring.id, boot.id].sort());
        assert.deepEqual((await ids(index, { keyword: 'spr' })).sort(), [spring.id, boot.id].sort());
        assert.deepEqual(await ids(index, { keyword: 'java' }), [fullWidth.id]);
        assert.deepEqual(await ids(index, { keyword: 'ｖｕｅ３' }), [vue.id]);
      });

      test('a mixed Chinese/English query needs every part: Spring微服务', async () => {
        assert.deepEqual(await ids(index, { keyword: 'Spring微服务' }), [spring.id]);
        assert.deepEqual(await ids(index, { keyword: 'spring 微服务' }), [spring.id]);
      });

      test('category names are searchable like tags', async () => {
        assert.deepEqual(await ids(index, { keyword: '前端' }), [vue.id]);
      });

      test('the highlighted name marks the matched terms; the name stays plain', async () => {
        const [hit] = (await index.search(query({ keyword: 'Spring微服务' }))).hits;
        assert.equal(hit.document.name, 'Spring微服务架构实战');
        assert.equal(hit.highlightedName, '<em>Spring微服务</em>架构实战');
        const [prefix] = (await index.search(query({ keyword: 'spring 快速' }))).hits;
        assert.equal(prefix.highlightedName, '<em>Spring</em>Boot <em>快速</em>上手', 'a prefix marks what was typed');
        assert.deepEqual(await ids(index, { keyword: 'boot' }), [], 'words match from their start');
      });

      test('countOutside counts the courses whose ids do not start with the prefix', { timeout: 30_000 }, async () => {
        assert.equal(await index.countOutside('generated-'), documents.length);
        assert.equal(
          await index.countOutside(spring.id),
          documents.filter((document) => !document.id.startsWith(spring.id)).length,
        );
      });

      test('an empty keyword lists every course; punctuation alone finds nothing', async () => {
        assert.equal((await index.search(query({ keyword: '   ' }))).total, documents.length);
        assert.equal((await index.search(query({}))).total, documents.length);
        const punctuation = await index.search(query({ keyword: '，。！？…—*"():^-' }));
        assert.deepEqual(punctuation, { total: 0, hits: [], facets: { mt: [], st: [], grade: [] } });
      });

      test('absurd queries are answered safely: 10 kB, query syntax, SQL', async () => {
        const long = await index.search(query({ keyword: 'Spring微服务'.repeat(1000) }));
        assert.ok(long.total <= 1);
        for (const keyword of [
          `' OR 1=1; DROP TABLE search_course; --`,
          'name : spring',
          '{name}: spring OR java NOT vue',
          'NEAR(spring java) AND * ^ "unbalanced',
          "spring':* | java & !vue",
          '%_\\',
          '\u0000\u202e 微服务 \ud800',
        ]) {
          const result = await index.search(query({ keyword }));
          assert.ok(Array.isArray(result.hits), keyword);
        }
        assert.equal(
          (await index.search(query({ keyword: 'name : spring' }))).total,
          0,
          '"name" is a word here, not a column filter',
        );
        assert.equal(await index.count(), documents.length, 'nothing was dropped');
      });
    });

    describe('ranking', () => {
      const inDescription = courseDocument({
        name: '后端开发基础',
        description: '最后一章讲 Kafka 消息队列',
        publishedAt: '2026-03-01T00:00:00.000Z',
      });
      const inName = courseDocument({ name: 'Kafka 从入门到精通', publishedAt: '2023-03-01T00:00:00.000Z' });
      const inTags = courseDocument({
        name: '消息中间件',
        tags: ['Kafka', 'RocketMQ'],
        publishedAt: '2025-03-01T00:00:00.000Z',
      });
      const inOrganisation = courseDocument({
        name: '分布式系统',
        organisationName: 'Kafka 学院',
        publishedAt: '2026-06-01T00:00:00.000Z',
      });
      // Many courses mention the term in their descriptions, as real corpora do.
      const filler = Array.from({ length: 8 }, (_, i) =>
        courseDocument({ name: `架构课${i}`, description: `Kafka Kafka Kafka 架构 ${i}` }),
      );
      before(async () => {
        await index.replaceAll([inDescription, inName, inTags, inOrganisation, ...filler]);
      });

      test('by relevance the name ranks above tags above description above organisation', async () => {
        const order = await ids(index, { keyword: 'kafka' });
        assert.equal(order[0], inName.id);
        assert.equal(order[1], inTags.id);
        assert.ok(order.indexOf(inDescription.id) < order.indexOf(inOrganisation.id), order.join(','));
        assert.equal(order.at(-1), inOrganisation.id);
        const scores = new Map(
          (await index.search(query({ keyword: 'kafka' }))).hits.map((hit) => [hit.document.id, hit.score]),
        );
        assert.deepEqual(
          [inName, inTags, inDescription, inOrganisation].map((d) => scores.get(d.id)),
          [3, 2, 1, 0],
          'the score is the best field holding every term',
        );
        const newest = (await index.search(query({ keyword: 'kafka', sort: CourseSearchSort.NEWEST }))).hits;
        assert.deepEqual(
          newest.map((hit) => scores.get(hit.document.id)),
          newest.map((hit) => hit.score),
          'scores do not depend on the sort',
        );
      });

      test('within a field, newer courses come first', async () => {
        const newer = courseDocument({ name: 'Kafka 实战', publishedAt: '2026-05-01T00:00:00.000Z' });
        await index.upsert(newer);
        assert.deepEqual((await ids(index, { keyword: 'kafka' })).slice(0, 3), [newer.id, inName.id, inTags.id]);
        await index.remove(newer.id, 2);
      });

      test('sorts by newest and by price, both ways', async () => {
        const newest = (await index.search(query({ keyword: 'kafka', sort: CourseSearchSort.NEWEST }))).hits.map(
          (h) => h.document.publishedAt,
        );
        assert.deepEqual(newest, [...newest].sort().reverse());
        await index.upsert({ ...inName, version: 2, price: '5.00' });
        await index.upsert({ ...inTags, version: 2, price: '500.00' });
        assert.equal((await ids(index, { keyword: 'kafka', sort: CourseSearchSort.PRICE_ASC }))[0], inName.id);
        assert.equal((await ids(index, { keyword: 'kafka', sort: CourseSearchSort.PRICE_DESC }))[0], inTags.id);
      });

      test('with no keyword, relevance means newest first', async () => {
        assert.equal((await ids(index, {}))[0], inOrganisation.id);
      });
    });

    describe('filters, facets and paging over 1,000 generated courses', () => {
      const documents = generateCourseDocuments(1000, 7);
      before(async () => {
        assert.equal(await index.replaceAll(documents), 1000);
      });

      const major = documents[0].mt;
      const minor = documents.find((d) => d.mt === major)!.st;
      const cases: Partial<CourseSearchQuery>[] = [
        {},
        { keyword: '实战' },
        { keyword: '入门', mt: major },
        { keyword: 'java' },
        { mt: major, grade: CourseGrade.BEGINNER },
        { mt: major, st: minor, charge: Charge.FREE },
        { keyword: '学', grade: CourseGrade.ADVANCED, charge: Charge.PAID },
        { keyword: 'Spring微服务' },
        { keyword: '数据', st: minor },
      ];
      for (const q of cases) {
        test(`total, hits and facets match their definition for ${JSON.stringify(q)}`, async () => {
          const want = expected(documents, query(q));
          const result = await index.search(query({ ...q, limit: 1000 }));
          assert.equal(result.total, want.ids.length);
          assert.deepEqual(result.hits.map((hit) => hit.document.id).sort(), [...want.ids].sort());
          assert.deepEqual(counts(result.facets.mt), want.mt, 'mt facet ignores only the mt filter');
          assert.deepEqual(counts(result.facets.st), want.st, 'st facet ignores only the st filter');
          assert.deepEqual(counts(result.facets.grade), want.grade, 'grade facet ignores only the grade filter');
        });
      }

      test('choosing a major still lists the other majors with their counts', async () => {
        const all = await index.search(query({}));
        const chosen = await index.search(query({ mt: major }));
        assert.ok(all.facets.mt.length > 1);
        assert.deepEqual(chosen.facets.mt, all.facets.mt);
        assert.ok(chosen.hits.every((hit) => hit.document.mt === major));
        assert.equal(chosen.total, all.facets.mt.find((f) => f.value === major)?.count);
        assert.ok(
          chosen.facets.mt.every((f) => f.name && f.name !== f.value),
          'facets carry category names',
        );
      });

      const orderOf: Record<CourseSearchSort, (hit: CourseSearchHit) => number> = {
        [CourseSearchSort.RELEVANCE]: (hit) => -hit.score,
        [CourseSearchSort.NEWEST]: (hit) => -Date.parse(hit.document.publishedAt),
        [CourseSearchSort.PRICE_ASC]: (hit) => Number(hit.document.price),
        [CourseSearchSort.PRICE_DESC]: (hit) => -Number(hit.document.price),
      };
      for (const sort of Object.values(CourseSearchSort)) {
        for (const q of [{ keyword: '实战' }, { keyword: '实战', mt: major }, { grade: CourseGrade.BEGINNER }]) {
          test(`${sort} ${JSON.stringify(q)}: sorted, and pages cover every hit exactly once, in order`, async () => {
            const whole = (await index.search(query({ ...q, sort, limit: 1000 }))).hits;
            assert.deepEqual(whole.map((hit) => hit.document.id).sort(), expected(documents, query(q)).ids.sort());
            const keys = whole.map(orderOf[sort]);
            assert.deepEqual(
              keys,
              [...keys].sort((a, b) => a - b),
              'in sort order',
            );
            if (sort === CourseSearchSort.RELEVANCE && q.keyword) {
              assert.ok(new Set(keys).size > 1, 'more than one tier is exercised');
              const tiers = new Map(whole.map((hit) => [hit.document.id, hit.score]));
              for (const hit of whole.slice(0, 50)) {
                const text = courseText(hit.document);
                const tier = text.name.includes('实战')
                  ? 3
                  : text.tags.includes('实战')
                    ? 2
                    : text.description.includes('实战')
                      ? 1
                      : 0;
                assert.equal(
                  tiers.get(hit.document.id),
                  tier,
                  `${hit.document.name}: the score is the best field holding the word`,
                );
              }
            }
            const pages: string[] = [];
            for (let offset = 0; offset < whole.length; offset += 7)
              pages.push(...(await ids(index, { ...q, sort, offset, limit: 7 })));
            assert.deepEqual(
              pages,
              whole.map((hit) => hit.document.id),
            );
          });
        }
      }

      test('past the end a page is empty and still has the total', async () => {
        const q = { keyword: '实战', sort: CourseSearchSort.PRICE_ASC };
        const whole = await ids(index, { ...q, limit: 1000 });
        const past = await index.search(query({ ...q, offset: whole.length, limit: 7 }));
        assert.deepEqual(past.hits, []);
        assert.equal(past.total, whole.length);
        assert.equal((await ids(index, { ...q, offset: whole.length - 1, limit: 7 })).length, 1);
      });
    });

    describe('writes', () => {
      before(async () => {
        await index.replaceAll([]);
      });

      test('upserting the same version twice leaves one course; a newer version replaces it', async () => {
        const document = courseDocument({ name: 'Redis 缓存设计' });
        assert.equal(await index.upsert(document), 'applied');
        assert.equal(await index.upsert(document), 'applied');
        assert.deepEqual(await ids(index, { keyword: 'redis' }), [document.id]);
        assert.equal(await index.upsert({ ...document, version: 2, name: 'Redis 集群实战' }), 'applied');
        assert.deepEqual(await ids(index, { keyword: '缓存' }), []);
        const [hit] = (await index.search(query({ keyword: '集群' }))).hits;
        assert.equal(hit.document.name, 'Redis 集群实战');
        assert.equal(await index.count(), 1);
      });

      test('an older version arriving late is ignored', async () => {
        const document = courseDocument({ name: 'Netty 网络编程', version: 5 });
        await index.upsert(document);
        assert.equal(await index.upsert({ ...document, version: 4, name: 'Netty 旧版' }), 'stale');
        assert.equal((await index.search(query({ keyword: 'netty' }))).hits[0].document.name, 'Netty 网络编程');
      });

      test('removal is idempotent, remembered against older versions, and undone by a newer one', async () => {
        const document = courseDocument({ name: 'Kubernetes 运维', version: 3 });
        await index.upsert(document);
        assert.equal(await index.remove(document.id, 4), 'applied');
        assert.equal(await index.remove(document.id, 4), 'applied');
        assert.deepEqual(await ids(index, { keyword: 'kubernetes' }), [], 'an offline course is not found');
        assert.equal(await index.upsert({ ...document, version: 3 }), 'stale', 'the late publish of v3 stays out');
        assert.equal(await index.remove(document.id, 2), 'stale');
        assert.deepEqual(await ids(index, { keyword: 'kubernetes' }), []);
        assert.equal(await index.upsert({ ...document, version: 5 }), 'applied');
        assert.deepEqual(await ids(index, { keyword: 'kubernetes' }), [document.id]);
        assert.equal(await index.remove('never-indexed', 1), 'applied');
        assert.equal(
          await index.upsert(courseDocument({ id: 'never-indexed', version: 1 })),
          'applied',
          'equal versions apply',
        );
      });

      test('removed courses leave the facets and the total', async () => {
        const before = await index.search(query({}));
        const document = courseDocument({ mt: '1-9', mtName: '智能硬件与物联网', st: '1-9-1', stName: '单片机' });
        await index.upsert(document);
        assert.equal((await index.search(query({}))).facets.mt.find((f) => f.value === '1-9')?.count, 1);
        await index.remove(document.id, 2);
        const after = await index.search(query({}));
        assert.equal(after.total, before.total);
        assert.equal(
          after.facets.mt.find((f) => f.value === '1-9'),
          undefined,
        );
      });

      test('concurrent writes moving courses between categories keep every count right', async () => {
        const documents = generateCourseDocuments(60, 11).map((document) => ({
          ...document,
          id: `moving-${document.id}`,
        }));
        await Promise.all(documents.map((document) => index.upsert(document)));
        // Each course moves to another course's category and grade, and every third goes offline, all at once.
        const moved = documents.map((document, i) => {
          const other = documents[(i * 7 + 3) % documents.length];
          return {
            ...document,
            version: 2,
            mt: other.mt,
            mtName: other.mtName,
            st: other.st,
            stName: other.stName,
            grade: other.grade,
          };
        });
        await Promise.all(
          moved.map((document, i) => (i % 3 === 0 ? index.remove(document.id, 2) : index.upsert(document))),
        );
        const live = moved.filter((_, i) => i % 3 !== 0);
        const others = (await index.search(query({ limit: 1000 }))).hits
          .map((hit) => hit.document)
          .filter((document) => !document.id.startsWith('moving-'));
        const want = expected([...others, ...live], query({}));
        const result = await index.search(query({}));
        assert.equal(result.total, want.ids.length);
        assert.deepEqual(counts(result.facets.mt), want.mt);
        assert.deepEqual(counts(result.facets.st), want.st);
        assert.deepEqual(counts(result.facets.grade), want.grade);
        await Promise.all(live.map((document) => index.remove(document.id, 3)));
      });

      test('names are escaped in the highlighted name', async () => {
        const document = courseDocument({ name: '<script>alert("x")</script> & 安全课' });
        await index.upsert(document);
        const [hit] = (await index.search(query({ keyword: '安全' }))).hits;
        assert.equal(hit.highlightedName, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <em>安全</em>课');
        assert.equal(hit.document.name, document.name);
      });

      test('replaceAll keeps exactly the given courses, newest version of a repeated one', async () => {
        const kept = courseDocument({ name: 'Flink 流计算' });
        const repeated = courseDocument({ name: 'Spark 批处理' });
        assert.equal(
          await index.replaceAll([
            kept,
            repeated,
            { ...repeated, version: 2, name: 'Spark 调优' },
            { ...repeated, version: 1 },
          ]),
          2,
        );
        assert.equal(await index.count(), 2);
        assert.deepEqual(await ids(index, { keyword: 'redis' }), []);
        assert.deepEqual(await ids(index, { keyword: '调优' }), [repeated.id]);
      });

      test('a failing source leaves the index as it was', async () => {
        async function* failing() {
          yield courseDocument();
          throw new Error('source broke');
        }
        await assert.rejects(index.replaceAll(failing()), /source broke/);
        assert.equal(await index.count(), 2);
        await index.ping();
      });
    });
  });
}
