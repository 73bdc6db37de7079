import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runNode } from '@learnhub/platform/testing';
import {
  Charge,
  CourseGrade,
  PublishStatus,
  TeachingMode,
  type PublishedCourseRecord,
} from '@learnhub/contracts/published-course';
import { openContentDatabase, storePublishedCourse } from '@learnhub/content/testing';
import { CourseSearchSort } from '../index/search-index';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { SqliteSearchIndex } from '../index/sqlite-search-index';

let dir: string;
let dataDir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lh-reindex-'));
  dataDir = join(dir, 'data');
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in the temp folder, so no `.env`, real DATA_DIR or inherited SEARCH_DATABASE_URL is used. */
const reindex = (args: string[]) =>
  runNode(join(__dirname, 'reindex-cli.js'), args, {
    cwd: dir,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', SEARCH_DATABASE_URL: '' },
  });

async function count(file: string): Promise<number> {
  const index = new SqliteSearchIndex(file);
  try {
    return await index.count();
  } finally {
    await index.close();
  }
}

describe('reindex CLI', () => {
  test('bad arguments exit 2 saying what is wrong, with the usage, touching no index', async () => {
    const oneSource = /^Give exactly one of --from-content, --from FILE or --generated N\.$/;
    const cases: [string[], RegExp][] = [
      [[], oneSource],
      [['--from', 'a.json', '--generated', '5'], oneSource],
      [['--generated', 'many'], /^--generated "many" must be a whole number up to 9999999\.$/],
      [['--generated', '1.5'], /^--generated "1\.5" must be a whole number/],
      [
        ['--generated', '5', '--seed', '4294967296'],
        /^--seed "4294967296" must be a whole number from 0 to 4294967295\.$/,
      ],
      [['--bogus'], /--bogus/],
      [['--from'], /--from/],
    ];
    for (const [args, problem] of cases) {
      const run = await reindex(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      const [first, blank, usage] = run.stderr.split('\n');
      assert.match(first, /^reindex: /);
      assert.match(first.slice('reindex: '.length), problem, args.join(' '));
      assert.deepEqual([blank, usage.split(' -- ')[0]], ['', 'Usage: npm run reindex'], run.stderr);
    }
    assert.equal(existsSync(dataDir), false, 'a usage error created DATA_DIR');
  });

  test('--generated fills the index it names, and a bad --from file leaves it as it was', async () => {
    const file = join(dir, 's.sqlite');
    const generated = await reindex(['--generated', '50', '--index', `sqlite:${file}`]);
    assert.equal(generated.code, 0, generated.stderr);
    assert.match(
      generated.stdout,
      /^reindex: the sqlite index now holds 50 published courses \(rebuilt in \d+\.\d s\)\.\n$/,
    );
    assert.equal(generated.stderr, '');
    assert.equal(await count(file), 50);

    const [good, bad] = generateCourseDocuments(2, 9);
    const source = join(dir, 'bad.json');
    await writeFile(source, JSON.stringify([good, { ...bad, charge: 'FREE' }]));
    const refused = await reindex(['--from', source, '--index', `sqlite:${file}`]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^reindex: nothing changed, the index is as it was\. Invalid course document: documents\[1\]\.price must be "0\.00" for a free course\.\n$/,
    );
    assert.equal(await count(file), 50);
  });

  test('--generated refuses an index holding real courses unless --replace, with ids apart from real ones and covers under PUBLIC_URL', {
    timeout: 60_000,
  }, async () => {
    const file = join(dir, 'real.sqlite');
    const real = generateCourseDocuments(3, 5);
    const source = join(dir, 'real.json');
    await writeFile(source, JSON.stringify(real));
    assert.equal((await reindex(['--from', source, '--index', `sqlite:${file}`])).code, 0);

    const refused = await reindex(['--generated', '10', '--index', `sqlite:${file}`]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /holds 3 real published courses that --generated would replace; pass --replace/);
    assert.equal(await count(file), 3);

    const env = {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEARCH_DATABASE_URL: '',
      PUBLIC_URL: 'https://learn.example.com/',
    };
    const replaced = await runNode(
      join(__dirname, 'reindex-cli.js'),
      ['--generated', '10', '--replace', '--index', `sqlite:${file}`],
      { cwd: dir, env },
    );
    assert.equal(replaced.code, 0, replaced.stderr);
    const index = new SqliteSearchIndex(file);
    try {
      const nodes = (await index.search({ sort: CourseSearchSort.NEWEST, offset: 0, limit: 50 })).hits.map(
        (hit) => hit.document,
      );
      assert.equal(nodes.length, 10);
      const realIds = new Set(real.map((course) => course.id));
      for (const course of nodes) {
        assert.match(course.id, /^generated-\d+$/);
        assert.ok(!realIds.has(course.id));
        if (course.coverUrl)
          assert.equal(course.coverUrl, `https://learn.example.com/files/mediafiles/covers/${course.id}.jpg`);
      }
      assert.ok(
        nodes.some((course) => course.coverUrl),
        'some generated courses have covers',
      );
    } finally {
      await index.close();
    }

    const again = await reindex(['--generated', '5', '--index', `sqlite:${file}`]);
    assert.equal(again.code, 0, `generated courses alone are replaced without --replace: ${again.stderr}`);
    assert.equal(await count(file), 5);
  });

  test('--from a good file replaces the whole index', async () => {
    const file = join(dir, 'replaced.sqlite');
    assert.equal((await reindex(['--generated', '20', '--index', `sqlite:${file}`])).code, 0);
    const source = join(dir, 'good.ndjson');
    await writeFile(
      source,
      `${generateCourseDocuments(3, 5)
        .map((document) => JSON.stringify(document))
        .join('\n')}\n`,
    );
    const run = await reindex(['--from', source, '--index', `sqlite:${file}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /now holds 3 published courses/);
    assert.equal(await count(file), 3);
  });

  test('an empty source is refused unless --allow-empty, and an unknown --index kind is a usage error', async () => {
    const file = join(dir, 'kept.sqlite');
    assert.equal((await reindex(['--generated', '5', '--index', `sqlite:${file}`])).code, 0);
    const empty = join(dir, 'empty.ndjson');
    await writeFile(empty, '');
    const refused = await reindex(['--from', empty, '--index', `sqlite:${file}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /nothing changed.*holds no courses; pass --allow-empty/);
    assert.equal(await count(file), 5);
    const allowed = await reindex(['--from', empty, '--index', `sqlite:${file}`, '--allow-empty']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(await count(file), 0);
    const wrong = await reindex(['--generated', '5', '--index', 'mysql://db/search']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--index "mysql:\/\/db\/search" must be sqlite:<file> or postgresql:\/\/…/);
  });

  test('--from a missing file exits 1 naming the file', async () => {
    const missing = join(dir, 'missing.json');
    const run = await reindex(['--from', missing, '--index', `sqlite:${join(dir, 'm.sqlite')}`]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^reindex: nothing changed, the index is as it was\. ENOENT: no such file or directory, open '.*missing\.json'\n$/,
    );
  });

  test('without --index the embedded index in DATA_DIR is rebuilt', async () => {
    const run = await reindex(['--generated', '4', '--seed', '3']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await readdir(dataDir).then((names) => names.filter((name) => name.endsWith('.sqlite'))), [
      'search.sqlite',
    ]);
    assert.equal(await count(join(dataDir, 'search.sqlite')), 4);
  });

  test('--from-content indexes the courses published now at their versions, leaving offline ones out; an unreachable media service is named with what to set', {
    timeout: 60_000,
  }, async () => {
    const contentUrl = `sqlite:${join(dir, 'content.sqlite')}`;
    const record = (
      id: string,
      status: PublishStatus,
      version: number,
      coverMediaId?: string,
    ): PublishedCourseRecord => ({
      id,
      version,
      status,
      publishedAt: '2026-02-01T00:00:00.000Z',
      content: {
        id,
        organisationId: 'org-1',
        name: `课程${id}`,
        audience: '所有人',
        tags: 'Go,并发',
        mt: '1-3',
        mtName: '编程开发',
        st: '1-3-2',
        stName: 'Python',
        grade: CourseGrade.BEGINNER,
        teachingMode: TeachingMode.RECORDED,
        coverMediaId,
        market: { charge: Charge.PAID, price: '88.00' },
      },
    });
    // Stored as the content service would have stored them: the reindex only reads them.
    const orm = await openContentDatabase(contentUrl);
    try {
      await storePublishedCourse(orm, record('1', PublishStatus.PUBLISHED, 1));
      await storePublishedCourse(orm, record('2', PublishStatus.OFFLINE, 2));
      await storePublishedCourse(orm, record('3', PublishStatus.PUBLISHED, 3));
      await storePublishedCourse(orm, record('4', PublishStatus.PUBLISHED, 1, 'cover-4'));
    } finally {
      await orm.close();
    }
    const file = join(dir, 'from-content.sqlite');
    const unreachable = await runNode(
      join(__dirname, 'reindex-cli.js'),
      ['--from-content', '--index', `sqlite:${file}`],
      {
        cwd: dir,
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'silent',
          CONTENT_DATABASE_URL: contentUrl,
          MEDIA_URL: 'http://127.0.0.1:9/graphql',
        },
      },
    );
    assert.equal(unreachable.code, 1, unreachable.stderr);
    assert.match(
      unreachable.stderr,
      /Cannot read cover URLs from the media service at http:\/\/127\.0\.0\.1:9\/graphql .*Set MEDIA_URL .*gateway-secret file.*GATEWAY_SECRET/,
    );
    // Course 4's cover needed media; taken offline, the rest needs none.
    const again = await openContentDatabase(contentUrl);
    try {
      await storePublishedCourse(again, record('4', PublishStatus.OFFLINE, 2, 'cover-4'));
    } finally {
      await again.close();
    }
    const run = await runNode(join(__dirname, 'reindex-cli.js'), ['--from-content', '--index', `sqlite:${file}`], {
      cwd: dir,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', CONTENT_DATABASE_URL: contentUrl },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /now holds 2 published courses/);
    const index = new SqliteSearchIndex(file);
    try {
      const found = await index.search({ sort: CourseSearchSort.NEWEST, offset: 0, limit: 10 });
      assert.deepEqual(
        found.hits.map((hit) => [hit.document.id, hit.document.version, hit.document.tags, hit.document.price]).sort(),
        [
          ['1', 1, ['Go', '并发'], '88.00'],
          ['3', 3, ['Go', '并发'], '88.00'],
        ],
      );
    } finally {
      await index.close();
    }
  });
});
