import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppError, ErrorCode } from '@learnhub/platform/errors';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { jsonFileCourses } from './course-source';

const documents = generateCourseDocuments(3);
const line = (value: unknown) => JSON.stringify(value);

let dir: string;
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lh-course-source-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function file(content: string): Promise<string> {
  const path = join(dir, `courses-${++files}.json`);
  await writeFile(path, content);
  return path;
}

/** Reads the whole file; on failure, what was read before it and the error. */
async function read(path: string): Promise<{ read: CourseDocument[]; error?: unknown }> {
  const read: CourseDocument[] = [];
  try {
    for await (const document of jsonFileCourses(path)) read.push(document);
    return { read };
  } catch (error) {
    return { read, error };
  }
}

function assertBadInput(error: unknown, message: RegExp): AppError {
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
  assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
  assert.match(error.message, message);
  return error;
}

test('a JSON array gives its documents in order', async () => {
  assert.deepEqual(await read(await file(JSON.stringify(documents, null, 2))), { read: documents });
});

test('a JSON array after blank space is still read as an array', async () => {
  assert.deepEqual(await read(await file(`\n\n   ${JSON.stringify(documents)}\n`)), { read: documents });
});

test('a byte-order mark before a JSON array or the first NDJSON line is ignored', async () => {
  assert.deepEqual(await read(await file(`\ufeff${JSON.stringify(documents)}`)), { read: documents });
  assert.deepEqual(await read(await file(`\ufeff${line(documents[0])}\n${line(documents[1])}\n`)), {
    read: documents.slice(0, 2),
  });
});

test('an empty JSON array gives nothing', async () => {
  assert.deepEqual(await read(await file('[]')), { read: [] });
});

test('NDJSON gives one document per line, blank lines ignored', async () => {
  const content = `${line(documents[0])}\n\n   \n${line(documents[1])}\r\n${line(documents[2])}\n\n`;
  assert.deepEqual(await read(await file(content)), { read: documents });
});

test('a JSON array that does not parse is refused naming the file', async () => {
  const path = await file(`[${line(documents[0])},\n{"id": `);
  const { read: got, error } = await read(path);
  assert.deepEqual(got, []);
  const refused = assertBadInput(error, / is not valid JSON: /);
  assert.ok(refused.message.startsWith(`${path} is not valid JSON: `), refused.message);
});

test('an invalid document in a JSON array is refused as documents[i], after the ones before it', async () => {
  const { read: got, error } = await read(
    await file(JSON.stringify([documents[0], { ...documents[1], price: '12' }, documents[2]])),
  );
  assert.deepEqual(got, [documents[0]]);
  const refused = assertBadInput(error, /documents\[1\]\.price/);
  assert.deepEqual(
    refused.details.fields?.map((problem) => problem.field),
    ['documents[1].price'],
  );
});

test('an NDJSON line that does not parse is refused by its line number, blank lines counted', async () => {
  const { read: got, error } = await read(await file(`${line(documents[0])}\n\n{"id": "2",\n${line(documents[2])}\n`));
  assert.deepEqual(got, [documents[0]]);
  assertBadInput(error, /courses-\d+\.json line 3 is not valid JSON: /);
});

test('an invalid NDJSON document is refused by its line number', async () => {
  const { read: got, error } = await read(
    await file(`${line(documents[0])}\n\n${line({ ...documents[1], grade: 'EXPERT' })}\n`),
  );
  assert.deepEqual(got, [documents[0]]);
  const refused = assertBadInput(error, /line 3\.grade/);
  assert.deepEqual(
    refused.details.fields?.map((problem) => problem.field),
    ['line 3.grade'],
  );
});

test('a missing file fails with ENOENT', async () => {
  const { error } = await read(join(dir, 'missing.json'));
  assert.equal((error as NodeJS.ErrnoException).code, 'ENOENT');
});
