import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { backendUrl } from '@learnhub/platform/testing';
import type { CourseText } from './course-text';
import { tsvectorLiteral } from './postgres-search-index';

const text = (fields: Partial<CourseText>): CourseText => ({
  name: [],
  tags: [],
  description: [],
  organisation: [],
  ...fields,
});

/** The literal's lexemes with their positions, e.g. { java: ['1A', '3B'] }. */
function lexemes(literal: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const [, token, positions] of literal.matchAll(/'((?:[^']|'')*)':(\S+)/g))
    parsed.set(token.replaceAll("''", "'"), positions.split(','));
  return parsed;
}

describe('tsvectorLiteral', () => {
  test('weighs name A, tags B, description C, organisation D, counting positions across fields', () => {
    const literal = tsvectorLiteral(
      text({ name: ['java', '入门'], tags: ['后端'], description: ['入门', '实战'], organisation: ['云帆'] }),
    );
    assert.equal(literal, "'java':1A '入门':2A,4C '后端':3B '实战':5C '云帆':6D");
  });

  test('a repeated token gathers all its positions on one lexeme', () => {
    assert.equal(tsvectorLiteral(text({ name: ['go', 'go'], tags: ['go'], organisation: ['go'] })), "'go':1A,2A,3B,4D");
  });

  test('no tokens give an empty vector', () => {
    assert.equal(tsvectorLiteral(text({})), '');
  });

  test('positions stop at 16383, where PostgreSQL stops', () => {
    const description = [...Array.from({ length: 16_390 }, (_, i) => `w${i}`), 'last'];
    const found = lexemes(tsvectorLiteral(text({ name: ['first'], description })));
    assert.deepEqual(found.get('first'), ['1A']);
    assert.deepEqual(found.get('w16380'), ['16382C']);
    assert.deepEqual(found.get('w16381'), ['16383C']);
    assert.deepEqual(found.get('w16382'), ['16383C']);
    assert.deepEqual(found.get('last'), ['16383C']);
  });

  test('a lexeme keeps at most 64 positions, and later tokens keep counting', () => {
    const found = lexemes(tsvectorLiteral(text({ description: [...Array<string>(100).fill('x'), 'y'] })));
    assert.deepEqual(
      found.get('x'),
      Array.from({ length: 64 }, (_, i) => `${i + 1}C`),
    );
    assert.deepEqual(found.get('y'), ['101C']);
  });

  test('quotes and backslashes are doubled', () => {
    assert.equal(tsvectorLiteral(text({ name: ["it's", 'a\\b', "''"] })), "'it''s':1A 'a\\\\b':2A '''''':3A");
  });
});

const server = backendUrl('postgres', 'tsvectorLiteral read by PostgreSQL');
if (server) {
  describe('tsvectorLiteral read by PostgreSQL', () => {
    let client: pg.Client;
    before(async () => {
      client = new pg.Client({ connectionString: server });
      await client.connect();
    });
    after(() => client?.end());

    test('gives back every token, weight and position as written', async () => {
      const literal = tsvectorLiteral(
        text({ name: ["it's", 'a\\b', 'java'], tags: ['java'], description: ['微服'], organisation: ['云帆'] }),
      );
      const { rows } = await client.query<{ lexeme: string; positions: number[]; weights: string[] }>(
        'SELECT lexeme, positions, weights FROM unnest($1::tsvector) ORDER BY positions[1]',
        [literal],
      );
      assert.deepEqual(rows, [
        { lexeme: "it's", positions: [1], weights: ['A'] },
        { lexeme: 'a\\b', positions: [2], weights: ['A'] },
        { lexeme: 'java', positions: [3, 4], weights: ['A', 'B'] },
        { lexeme: '微服', positions: [5], weights: ['C'] },
        { lexeme: '云帆', positions: [6], weights: ['D'] },
      ]);
    });
  });
}
