import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HostileRequestGenerator, type HostileRequest } from '../testing/hostile-request-generator';
import { rawExchange, type RawOutcome } from '../testing/raw-http-exchange';
import { graphql, PlatformStack, upload } from './platform-stack';

/*
 * A seeded stream of mutated requests through the gateway of real processes: broken multipart
 * bodies, bad JSON, hostile text in real mutations, odd methods and paths. Every answer must be a
 * success or an error with a code from the fixed set; nothing may crash, hang or leak. A failing
 * run is replayed with HOSTILE_SEED=<the printed seed>.
 */

const SEED = Number(process.env.HOSTILE_SEED ?? 20261204) >>> 0;
const REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 2400);
const CONCURRENCY = 3;
const REQUEST_DEADLINE_MS = 5000;
/** The whole run stops sending after this; fewer requests than asked for is then a failure. */
const RUN_BUDGET_MS = 170_000;
/**
 * Memory may grow while the heap warms up (V8 collects lazily); what must not happen is growth
 * that goes on: the second half of the run may add at most the second limit.
 */
const RSS_GROWTH_LIMIT = 256 * 1024 * 1024;
const RSS_SECOND_HALF_LIMIT = 128 * 1024 * 1024;
const CODES = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE']);

const png = () => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(4000)]);

/** Resident memory of a process, from /proc (Linux). */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

interface Judgement {
  /** What to count the answer as: a status, `cut`, `reset`, `closed` or `timeout`. */
  label: string;
  codes: string[];
  /** Why the answer is wrong; undefined when it is acceptable. */
  failure?: string;
}

/** Whether `outcome` is an acceptable answer to `request`. */
function judge(request: HostileRequest, outcome: RawOutcome): Judgement {
  if (outcome.kind === 'timeout')
    return { label: 'timeout', codes: [], failure: `no answer within ${REQUEST_DEADLINE_MS} ms` };
  if (outcome.kind !== 'response') {
    // Only a request the generator itself cut short may go unanswered.
    if (request.cutAfter !== undefined) return { label: `cut-${outcome.kind}`, codes: [] };
    return {
      label: outcome.kind,
      codes: [],
      failure: `connection ${outcome.kind}${'error' in outcome && outcome.error ? ` (${outcome.error})` : ''} without an answer`,
    };
  }
  const { status, body } = outcome;
  const label = String(status);
  const text = body.toString('utf8').slice(0, 300);
  if (status >= 500) return { label, codes: [], failure: `${status}: ${text}` };
  // A client that went away reads no body: Node's own bare 400 for the unfinished request will do.
  if (request.cutAfter !== undefined && status >= 400) return { label: `cut-${status}`, codes: [] };
  if (request.method === 'HEAD') return { label, codes: [] };
  const json = parseJson(body) as
    | { errors?: { extensions?: { code?: unknown } }[]; error?: unknown; data?: unknown }
    | undefined;
  const codes = (json?.errors ?? []).map((e) => String(e?.extensions?.code));
  const unknownCodes = codes.filter((c) => !CODES.has(c));
  if (unknownCodes.length)
    return { label, codes, failure: `codes outside the fixed set (${unknownCodes.join(', ')}): ${text}` };
  const exactGraphqlPost = request.method === 'POST' && request.path === '/graphql';
  if ((status === 404 || status === 405) && !exactGraphqlPost) return { label, codes };
  if (status < 400) {
    if (request.target === 'graphql' && status === 200 && !json)
      return { label, codes, failure: `200 without a JSON body: ${text}` };
    return { label, codes };
  }
  if (request.target === 'files') {
    if (typeof json?.error === 'string') return { label, codes };
    return { label, codes, failure: `${status} from /files without a JSON {error}: ${text}` };
  }
  if (!json?.errors?.length) return { label, codes, failure: `${status} without a JSON errors list: ${text}` };
  return { label, codes };
}

/** The request in a line or two: the member token shortened, the body's start (all of it when small). */
function describeRequest(request: HostileRequest, memberToken: string): string {
  const headers = JSON.stringify(request.headers ?? {})
    .replaceAll(memberToken, '<member token>')
    .slice(0, 300);
  const body = request.body ?? Buffer.alloc(0);
  const shown = body.length <= 1500 ? body : body.subarray(0, 300);
  const cut = request.cutAfter !== undefined ? `, cut after ${request.cutAfter}` : '';
  return `${request.kind} ${request.method} ${request.path.slice(0, 120)} ${headers} body ${body.length} bytes${cut}: ${JSON.stringify(shown.toString('latin1'))}`;
}

function countInto(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
const table = (counts: Map<string, number>) => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));

describe('hostile requests generated from a seed, through the gateway of real processes', { timeout: 300_000 }, () => {
  let stack: PlatformStack;
  let generator: HostileRequestGenerator;
  let member: string;

  before(async () => {
    stack = await PlatformStack.start({ LOG_LEVEL: 'warn' });
    member = await stack.token('fuzzer', ['member'], 'org-fuzz');
    const course = await graphql<{ createCourse: { id: string } }>(
      stack.gatewayUrl,
      'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }',
      {
        input: {
          name: 'Fuzz target',
          audience: '测试',
          mt: '1-3',
          st: '1-3-1',
          grade: 'BEGINNER',
          teachingMode: 'RECORDED',
          charge: 'FREE',
        },
      },
      member,
    );
    assert.equal(course.errors, undefined, JSON.stringify(course.errors));
    const chapter = await graphql<{ saveTeachplan: { id: string } }>(
      stack.gatewayUrl,
      'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }',
      { input: { courseId: course.data!.createCourse.id, name: '第一章' } },
      member,
    );
    assert.equal(chapter.errors, undefined, JSON.stringify(chapter.errors));
    const image = await upload<{ uploadFile: { id: string; url: string } }>(
      stack.gatewayUrl,
      'mutation($file: Upload!) { uploadFile(file: $file) { id url } }',
      new Blob([png()]),
      'cover.png',
      member,
    );
    assert.equal(image.errors, undefined, JSON.stringify(image.errors));
    const url = new URL(image.data!.uploadFile.url);
    generator = new HostileRequestGenerator(SEED, {
      memberToken: member,
      courseId: course.data!.createCourse.id,
      chapterId: chapter.data!.saveTeachplan.id,
      mediaId: image.data!.uploadFile.id,
      filePath: url.pathname + url.search,
    });
  });
  after(() => stack?.stop());

  test(`${REQUESTS} mutated requests are each answered with a success or a coded error, and every process survives without growing`, {
    timeout: 240_000,
  }, async () => {
    console.log(
      `hostile fuzz: seed ${SEED} (replay with HOSTILE_SEED=${SEED}), ${REQUESTS} requests, ${CONCURRENCY} at a time`,
    );
    const watched = ['gateway', 'media'] as const;
    const rssNow = () => Object.fromEntries(watched.map((name) => [name, rssBytes(stack.service(name).pid)]));
    const rssBefore = rssNow();
    let rssHalfway: Record<string, number> | undefined;
    const byKind = new Map<string, number>();
    const byStatus = new Map<string, number>();
    const byCode = new Map<string, number>();
    const failures: string[] = [];
    let failureCount = 0;
    let sent = 0;
    const started = Date.now();

    const worker = async () => {
      while (sent < REQUESTS && Date.now() - started < RUN_BUDGET_MS) {
        const request = generator.next();
        sent++;
        if (sent === Math.floor(REQUESTS / 2)) rssHalfway = rssNow();
        const outcome = await rawExchange(stack.ports.gateway, request, REQUEST_DEADLINE_MS);
        const verdict = judge(request, outcome);
        countInto(
          byKind,
          request.kind
            .split('/')
            .slice(0, request.kind.startsWith('multipart') ? 1 : 2)
            .join('/'),
        );
        countInto(byStatus, verdict.label);
        for (const code of verdict.codes) countInto(byCode, code);
        if (verdict.failure) {
          failureCount++;
          if (failures.length < 25)
            failures.push(`${verdict.failure}\n    request: ${describeRequest(request, member)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;

    const rssAfter = rssNow();
    rssHalfway ??= rssAfter;
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`hostile fuzz: ${sent} requests in ${seconds.toFixed(1)} s`);
    console.log('hostile fuzz: requests by kind', table(byKind));
    console.log('hostile fuzz: answers by status', table(byStatus));
    console.log('hostile fuzz: error codes', table(byCode));
    console.log(
      'hostile fuzz: RSS before -> halfway -> after',
      Object.fromEntries(
        watched.map((n) => [n, `${mib(rssBefore[n])} -> ${mib(rssHalfway![n])} -> ${mib(rssAfter[n])}`]),
      ),
    );

    for (const name of ['gateway', 'content', 'media', 'search']) {
      const child = stack.service(name).child;
      assert.equal(
        child.exitCode,
        null,
        `${name} exited with ${child.exitCode}:\n${stack.service(name).log().slice(-3000)}`,
      );
      assert.equal(child.signalCode, null, `${name} was killed by ${child.signalCode}`);
    }
    for (const [name, port] of Object.entries(stack.ports)) {
      const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
      assert.equal(health.status, 200, `${name} /health after the run`);
    }
    for (const name of watched) {
      assert.ok(
        rssAfter[name] - rssBefore[name] < RSS_GROWTH_LIMIT,
        `${name} grew from ${mib(rssBefore[name])} to ${mib(rssAfter[name])}`,
      );
      assert.ok(
        rssAfter[name] - rssHalfway![name] < RSS_SECOND_HALF_LIMIT,
        `${name} kept growing: ${mib(rssHalfway![name])} halfway, ${mib(rssAfter[name])} at the end`,
      );
    }
    assert.equal(sent >= REQUESTS, true, `only ${sent} of ${REQUESTS} requests went out within ${RUN_BUDGET_MS} ms`);
    assert.equal(
      failureCount,
      0,
      `${failureCount} of ${sent} answers were wrong (seed ${SEED}); the first ${failures.length}:\n  ${failures.join('\n  ')}`,
    );
  });
});
