// `npm run bench` (search part): builds both indexes from 100,000 generated courses and times a
// mixed query set on each, against a brute-force scan of the same documents in the same run
// (what searching without an index costs). Goal: p95 < 20 ms on the embedded index.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runBenchmark } from '@learnhub/platform/bench';
import { postgresTestDatabase } from '@learnhub/platform/testing';
import { Charge, CourseGrade } from '@learnhub/contracts/published-course';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { PostgresSearchIndex } from '../index/postgres-search-index';
import { CourseSearchSort, type CourseSearchQuery, type SearchIndex } from '../index/search-index';
import { SqliteSearchIndex } from '../index/sqlite-search-index';
import { courseScan } from './course-scan';

const DOCUMENTS = Number(process.env.SEARCH_BENCH_DOCUMENTS ?? 100_000);
const ROUNDS = 5;
const GOAL_P95_MS = 20;

const q = (keyword: string | undefined, extra: Partial<CourseSearchQuery> = {}): CourseSearchQuery => ({
  keyword,
  sort: CourseSearchSort.RELEVANCE,
  offset: 0,
  limit: 20,
  ...extra,
});

/** What people type on a course site: short Chinese words, tech names, mixes, filters, sorts and a few deep pages. */
const QUERIES: CourseSearchQuery[] = [
  q('课'),
  q('学'),
  q('网'),
  q('入门'),
  q('实战'),
  q('架构'),
  q('数据'),
  q('面试'),
  q('微服务'),
  q('机器学习'),
  q('分布式架构'),
  q('性能优化'),
  q('java'),
  q('Python'),
  q('react'),
  q('spring'),
  q('spr'),
  q('vu'),
  q('Spring微服务'),
  q('Python数据分析'),
  q('Redis缓存'),
  q('MySQL 索引优化'),
  q('Vue3 组件化开发'),
  q('Go并发编程'),
  q('深度学习 PyTorch'),
  q('云帆'),
  q('实战', { mt: '1-3' }),
  q('入门', { grade: CourseGrade.BEGINNER, charge: Charge.FREE }),
  q('java', { st: '1-3-1', sort: CourseSearchSort.PRICE_ASC }),
  q('前端', { sort: CourseSearchSort.NEWEST }),
  q('数据', { sort: CourseSearchSort.PRICE_DESC, offset: 100 }),
  q('学', { offset: 180 }),
  q(undefined),
  q(undefined, { mt: '1-1' }),
  q(undefined, { mt: '1-3', st: '1-3-2', grade: CourseGrade.INTERMEDIATE }),
  q(undefined, { charge: Charge.FREE, sort: CourseSearchSort.PRICE_ASC }),
  q(undefined, { sort: CourseSearchSort.NEWEST, offset: 2000 }),
  q('不存在的课程关键词'),
  q('a'.repeat(200)),
  q('Spring微服务'.repeat(20)),
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Latency {
  p50: number;
  p95: number;
  max: number;
  hits: number;
}

/** Each query once to warm caches, then every query ROUNDS times in a shuffled order. */
async function latency(search: (query: CourseSearchQuery) => Promise<{ total: number }>): Promise<Latency> {
  for (const query of QUERIES) await search(query);
  const samples: number[] = [];
  let hits = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = QUERIES.map((query, i) => ({ query, key: (i * 7919 + round * 104729) % 997 })).sort(
      (a, b) => a.key - b.key,
    );
    for (const { query } of order) {
      const started = performance.now();
      hits += (await search(query)).total;
      samples.push(performance.now() - started);
    }
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1)!, hits };
}

const ms = (value: number) => value.toFixed(2).padStart(8);

async function measure(
  name: string,
  index: SearchIndex,
  documents: CourseDocument[],
  size: () => string,
): Promise<Latency & { build: number }> {
  const started = performance.now();
  const count = await index.replaceAll(documents);
  const build = (performance.now() - started) / 1000;
  if (count !== documents.length) throw new Error(`${name} holds ${count} courses, not ${documents.length}`);
  console.log(
    `${name}: built from ${count} courses in ${build.toFixed(1)} s (${Math.round(count / build)} courses/s), ${size()}`,
  );
  const result = await latency((query) => index.search(query));
  return { ...result, build };
}

runBenchmark('search', async ({ dir }) => {
  console.log(
    `Search benchmark: ${DOCUMENTS} generated courses, ${QUERIES.length} queries × ${ROUNDS} rounds (+1 warm-up) per engine.\n`,
  );
  const started = performance.now();
  const documents = generateCourseDocuments(DOCUMENTS, 1);
  console.log(`generated ${documents.length} courses in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const rows: [string, Latency & { build?: number }][] = [];
  const file = join(dir, 'search.sqlite');
  const sqlite = new SqliteSearchIndex(file);
  try {
    rows.push([
      'embedded (SQLite FTS5)',
      await measure(
        'embedded (SQLite FTS5)',
        sqlite,
        documents,
        () => `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB on disk`,
      ),
    ]);
  } finally {
    await sqlite.close();
  }

  const server = process.env.SEARCH_BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL;
  if (server) {
    const database = await postgresTestDatabase(server).create();
    const postgres = await PostgresSearchIndex.open(database.url);
    try {
      rows.push([
        'PostgreSQL full text',
        await measure('PostgreSQL full text', postgres, documents, () => 'in a fresh database'),
      ]);
    } finally {
      await postgres.close();
      await database.drop();
    }
  } else {
    console.log(
      'PostgreSQL full text: skipped (set SEARCH_BENCH_POSTGRES_URL or TEST_POSTGRES_URL to a server to include it)',
    );
  }

  const scan = courseScan(documents);
  rows.push(['baseline: scan without index', await latency(async (query) => scan(query))]);

  const scanP95 = rows.at(-1)![1].p95;
  console.log(
    `\n${'engine'.padEnd(30)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}  p95 vs scan  p95 vs goal (${GOAL_P95_MS} ms)`,
  );
  for (const [name, row] of rows) {
    console.log(
      `${name.padEnd(30)} ${ms(row.p50)} ${ms(row.p95)} ${ms(row.max)}  ${(row.p95 / scanP95).toFixed(3).padStart(11)}  ${(row.p95 / GOAL_P95_MS).toFixed(2).padStart(8)}`,
    );
  }
  const totals = new Set(rows.map(([, row]) => row.hits));
  console.log(
    `\nTotal hits over all samples: ${rows.map(([name, row]) => `${name} ${row.hits}`).join(', ')}${totals.size === 1 ? ' (all agree)' : ' (they differ: the baseline matches substrings, not tokens)'}`,
  );
  const embedded = rows[0][1];
  console.log(
    `Goal p95 < ${GOAL_P95_MS} ms on the embedded index: ${embedded.p95 < GOAL_P95_MS ? 'met' : 'NOT met'} (${embedded.p95.toFixed(2)} ms).`,
  );
});
