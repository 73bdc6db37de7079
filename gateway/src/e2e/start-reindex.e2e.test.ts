import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signToken } from '@learnhub/platform/auth';
import { waitUntil } from '@learnhub/platform/testing';
import { DEV_JWT_SECRET } from '@learnhub/platform/config';
import { processesMentioning } from '@learnhub/platform/testing';
import { runNode } from '@learnhub/platform/testing';
import { graphql, ok, upload } from './platform-stack';
import { freeStartPorts, NpmStart } from './npm-start';

/*
 * `npm run reindex -- --from-content` beside a running `npm start` that generated its gateway
 * secret: the CLI is given npm start's settings and nothing more (no GATEWAY_SECRET), reads the
 * secret from DATA_DIR/gateway-secret to ask media for cover URLs, and rebuilds the index the
 * running search service answers from. A secret file others may read is refused with what to do.
 */

const root = join(__dirname, '..', '..', '..');
const reindexCli = require.resolve('@learnhub/search/reindex-cli');
const png = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(3000)]);
const NAME = 'Rust 异步编程 实战';
const SEARCH =
  'query($input: CourseSearchInput) { searchCourses(input: $input) { total hits { id name publishedAt coverUrl organisationId price } } }';

interface Hit {
  id: string;
  name: string;
  publishedAt: string;
  coverUrl: string | null;
  organisationId: string;
  price: string;
}

describe('npm run reindex -- --from-content beside a running npm start', { timeout: 300_000 }, () => {
  let dataDir: string;
  let started: NpmStart;
  let gateway: string;
  let courseId: string;
  let published: Hit;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-start-reindex-'));
    // No GATEWAY_SECRET anywhere: npm start generates one and keeps it in DATA_DIR only.
    started = NpmStart.run(dataDir, { ...(await freeStartPorts()), GATEWAY_SECRET: undefined });
    await started.ready();
    gateway = `http://127.0.0.1:${started.env.GATEWAY_PORT}`;
  });
  after(async () => {
    await started?.interrupt();
    for (const { pid } of await processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const search = async (keyword?: string) =>
    ok(
      await graphql<{ searchCourses: { total: number; hits: Hit[] } }>(gateway, SEARCH, {
        input: keyword === undefined ? {} : { keyword },
      }),
    ).searchCourses;
  /** The CLI as `npm run reindex` starts it: from the repository, with npm start's settings and without GATEWAY_SECRET. */
  const reindex = (args: string[]) => {
    const env = { ...started.env };
    delete env.GATEWAY_SECRET;
    return runNode(reindexCli, args, { cwd: root, env: { ...env, LOG_LEVEL: 'silent' } });
  };
  const secretFile = () => join(dataDir, 'gateway-secret');

  test('a course with a cover is published through the gateway and found by search', async () => {
    assert.equal(
      (await stat(secretFile())).mode & 0o777,
      0o600,
      'npm start generated the secret, readable by its owner only',
    );
    const alice = await signToken({ userId: 'alice', roles: ['member'], organisationId: 'org-rust' }, DEV_JWT_SECRET);
    const carol = await signToken({ userId: 'carol', roles: ['auditor'] }, DEV_JWT_SECRET);
    const gql = <T>(query: string, variables: object, token = alice) =>
      graphql<T>(gateway, query, variables, token).then(ok);

    courseId = (
      await gql<{ createCourse: { id: string } }>(
        'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }',
        {
          input: {
            name: NAME,
            audience: '后端开发者',
            tags: 'Rust,异步',
            mt: '1-3',
            st: '1-3-1',
            grade: 'INTERMEDIATE',
            teachingMode: 'RECORDED',
            charge: 'PAID',
            price: '129',
            validDays: 365,
          },
        },
      )
    ).createCourse.id;
    const cover = ok(
      await upload<{ uploadFile: { id: string } }>(
        gateway,
        'mutation($file: Upload!) { uploadFile(file: $file) { id } }',
        new Blob([png()]),
        'cover.png',
        alice,
      ),
    ).uploadFile.id;
    await gql('mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id } }', {
      id: courseId,
      input: { coverMediaId: cover },
    });
    const chapter = (
      await gql<{ saveTeachplan: { id: string } }>(
        'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }',
        { input: { courseId, name: '第一章 Future' } },
      )
    ).saveTeachplan;
    await gql('mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }', {
      input: { courseId, parentId: chapter.id, name: '1.1 async/await' },
    });
    await gql('mutation($id: ID!) { submitCourseForAudit(courseId: $id) { courseId } }', { id: courseId });
    await gql(
      'mutation($input: AuditCourseInput!) { auditCourse(input: $input) { id } }',
      { input: { courseId, decision: 'APPROVE', opinion: '同意发布' } },
      carol,
    );
    await gql('mutation($id: ID!) { publishCourse(courseId: $id) { version } }', { id: courseId });

    await waitUntil(
      'the outbox to index the published course',
      async () => (await search('异步编程')).total === 1,
      60_000,
      started.output,
    );
    [published] = (await search('异步编程')).hits;
    assert.equal(published.id, courseId);
    assert.equal(published.name, NAME);
    assert.ok(
      published.coverUrl?.startsWith(`http://localhost:${started.env.GATEWAY_PORT}/files/`),
      `the cover is served through the gateway: ${published.coverUrl}`,
    );
  });

  test('--from-content rebuilds the live index with the published course and its cover, reading the secret npm start generated', async () => {
    // Start from an index without the course, so only --from-content can bring it back.
    const generated = await reindex(['--generated', '3', '--replace']);
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal((await search('异步编程')).total, 0);

    const run = await reindex(['--from-content']);
    assert.equal(run.code, 0, `${run.stderr}\n${started.output().slice(-3000)}`);
    assert.match(run.stdout, /^reindex: the sqlite index now holds 1 published courses \(rebuilt in \d+\.\d s\)\.\n$/);
    assert.equal(run.stderr, '');
    const found = await search('异步编程');
    assert.deepEqual(found.hits, [published], 'the same document the outbox wrote, cover URL included');
    assert.equal((await search()).total, 1, 'the generated courses are gone');
  });

  test('a gateway-secret file that group or others may read is refused with the command that fixes it, and the index is left alone', async () => {
    await chmod(secretFile(), 0o640);
    try {
      const run = await reindex(['--from-content']);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `reindex: Invalid configuration:\n  - ${secretFile()} holds the gateway secret but is readable by group or others: run chmod 600 ${secretFile()}.\n`,
        'one clear message, no stack trace',
      );
    } finally {
      await chmod(secretFile(), 0o600);
    }
    assert.deepEqual((await search('异步编程')).hits, [published]);
  });
});
