import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppError, ErrorCode, type FieldProblem } from '@learnhub/platform/errors';
import { generateCourseDocuments } from '../fixture/course-fixture';
import { CourseSearchSort } from '../index/search-index';
import { SqliteSearchIndex } from '../index/sqlite-search-index';
import { CourseIndexingService } from './course-indexing.service';

const [first, second, third] = generateCourseDocuments(3);

let dir: string;
let index: SqliteSearchIndex;
let service: CourseIndexingService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lh-search-indexing-'));
  index = new SqliteSearchIndex(join(dir, 'search.sqlite'));
  service = new CourseIndexingService(index);
});

after(async () => {
  await index?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The field problems a refused write names; fails the test when the write goes through. */
async function refusal(write: Promise<unknown>): Promise<FieldProblem[]> {
  try {
    await write;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.BAD_USER_INPUT);
    return error.details.fields ?? [];
  }
  assert.fail('the write was accepted');
}

const ids = async () =>
  (await index.search({ sort: CourseSearchSort.NEWEST, offset: 0, limit: 100 })).hits
    .map((hit) => hit.document.id)
    .sort();

describe('CourseIndexingService', () => {
  test('an upsert for another course id is refused and writes nothing', async () => {
    assert.deepEqual(await refusal(service.upsert('999', first)), [{ field: 'document.id', message: 'must be 999' }]);
    assert.equal(await index.count(), 0);
  });

  test('an invalid document is refused naming its fields, and writes nothing', async () => {
    const problems = await refusal(service.upsert(first.id, { ...first, price: 'free', grade: 'EXPERT' }));
    assert.deepEqual(problems.map((problem) => problem.field).sort(), ['document.grade', 'document.price']);
    assert.equal(await index.count(), 0);
  });

  for (const version of [undefined, '', '0', '000', 'abc', '1.5', '-1', '1e3', ['2']]) {
    test(`a removal with version ${JSON.stringify(version)} is refused`, async () => {
      assert.deepEqual(await refusal(service.remove(first.id, version)), [
        { field: 'version', message: 'must be a whole number of 1 or more' },
      ]);
    });
  }

  test('a removal of something that is no course id is refused', async () => {
    for (const id of ['', 'a b', 'x'.repeat(65), '../1']) {
      assert.deepEqual(await refusal(service.remove(id, '1')), [{ field: 'id', message: 'is not a course id' }], id);
    }
  });

  test('writes apply in version order and report an older one as stale', async () => {
    assert.equal(await service.upsert(first.id, { ...first, version: 2 }), 'applied');
    assert.equal(await service.upsert(second.id, second), 'applied');
    assert.equal(await service.upsert(first.id, first), 'stale');
    assert.equal(await service.upsert(first.id, { ...first, version: 2, name: `${first.name}（第二版）` }), 'applied');
    assert.deepEqual(await ids(), [first.id, second.id]);

    assert.equal(await service.remove(first.id, '1'), 'stale');
    assert.deepEqual(await ids(), [first.id, second.id]);
    assert.equal(await service.remove(first.id, '3'), 'applied');
    assert.deepEqual(await ids(), [second.id]);
    assert.equal(await service.upsert(first.id, { ...first, version: 2 }), 'stale');
    assert.deepEqual(await ids(), [second.id]);
  });

  test('removing a course never indexed is applied, and keeps its older documents out', async () => {
    assert.equal(await service.remove(third.id, '5'), 'applied');
    assert.equal(await service.upsert(third.id, { ...third, version: 4 }), 'stale');
    assert.equal(await service.upsert(third.id, { ...third, version: 6 }), 'applied');
    assert.deepEqual(await ids(), [second.id, third.id]);
  });
});
