import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Charge, CourseGrade } from '@learnhub/contracts/published-course';
import { CourseSearchSort, type CourseSearchQuery } from './search-index';
import { facets, type CubeRow } from './search-plan';

const row = (st: string, grade: string, charge: string, n: CubeRow['n']): CubeRow => {
  const mt = st.split('-').slice(0, 2).join('-');
  return { st, st_name: `minor ${st}`, mt, mt_name: `major ${mt}`, grade, charge, n };
};

/** Matches of one search, counted per (st, grade, charge) as the cube statement returns them. */
const cube: CubeRow[] = [
  row('1-3-1', 'BEGINNER', 'FREE', 4),
  row('1-3-1', 'BEGINNER', 'PAID', 6),
  row('1-3-1', 'ADVANCED', 'PAID', 1),
  row('1-3-2', 'INTERMEDIATE', 'PAID', 5),
  row('1-4-1', 'BEGINNER', 'PAID', 3),
  row('1-4-2', 'ADVANCED', 'FREE', 2),
];

const query = (filters: Partial<CourseSearchQuery> = {}): CourseSearchQuery => ({
  sort: CourseSearchSort.RELEVANCE,
  offset: 0,
  limit: 20,
  ...filters,
});
const counts = (list: { value: string; count: number }[]) => list.map(({ value, count }) => [value, count]);

describe('facets', () => {
  test('without filters, the total is every match and each facet counts them all', () => {
    const { total, facets: found } = facets(cube, query());
    assert.equal(total, 21);
    assert.deepEqual(found.mt, [
      { value: '1-3', name: 'major 1-3', count: 16 },
      { value: '1-4', name: 'major 1-4', count: 5 },
    ]);
    assert.deepEqual(counts(found.st), [
      ['1-3-1', 11],
      ['1-3-2', 5],
      ['1-4-1', 3],
      ['1-4-2', 2],
    ]);
    assert.deepEqual(found.grade, [
      { value: 'BEGINNER', name: 'BEGINNER', count: 13 },
      { value: 'INTERMEDIATE', name: 'INTERMEDIATE', count: 5 },
      { value: 'ADVANCED', name: 'ADVANCED', count: 3 },
    ]);
  });

  test('the total honours every filter', () => {
    assert.equal(facets(cube, query({ mt: '1-3' })).total, 16);
    assert.equal(facets(cube, query({ st: '1-3-1' })).total, 11);
    assert.equal(facets(cube, query({ mt: '1-3', grade: CourseGrade.BEGINNER })).total, 10);
    assert.equal(facets(cube, query({ mt: '1-3', grade: CourseGrade.BEGINNER, charge: Charge.PAID })).total, 6);
    assert.equal(facets(cube, query({ st: '1-3-1', charge: Charge.FREE })).total, 4);
    assert.equal(facets(cube, query({ st: '1-9-9' })).total, 0);
  });

  test('each facet ignores its own filter and honours the others', () => {
    const { total, facets: found } = facets(
      cube,
      query({ mt: '1-3', grade: CourseGrade.BEGINNER, charge: Charge.PAID }),
    );
    assert.equal(total, 6);
    // mt: beginner and paid, any major.
    assert.deepEqual(counts(found.mt), [
      ['1-3', 6],
      ['1-4', 3],
    ]);
    // st: in 1-3, beginner and paid.
    assert.deepEqual(counts(found.st), [['1-3-1', 6]]);
    // grade: in 1-3 and paid, any grade.
    assert.deepEqual(counts(found.grade), [
      ['BEGINNER', 6],
      ['INTERMEDIATE', 5],
      ['ADVANCED', 1],
    ]);
  });

  test('an st filter keeps its own facet whole but narrows the major facet to its major', () => {
    const { facets: found } = facets(cube, query({ st: '1-4-2' }));
    assert.deepEqual(counts(found.st), [
      ['1-3-1', 11],
      ['1-3-2', 5],
      ['1-4-1', 3],
      ['1-4-2', 2],
    ]);
    assert.deepEqual(counts(found.mt), [['1-4', 2]]);
    assert.deepEqual(counts(found.grade), [['ADVANCED', 2]]);
  });

  test('counts as strings or bigints, as database drivers return them, are added as numbers', () => {
    const mixed: CubeRow[] = [
      row('1-3-1', 'BEGINNER', 'PAID', '7'),
      row('1-3-2', 'BEGINNER', 'PAID', 5n),
      row('1-3-2', 'BEGINNER', 'FREE', 3),
    ];
    const { total, facets: found } = facets(mixed, query());
    assert.equal(total, 15);
    assert.deepEqual(counts(found.mt), [['1-3', 15]]);
    assert.deepEqual(counts(found.st), [
      ['1-3-2', 8],
      ['1-3-1', 7],
    ]);
    assert.deepEqual(counts(found.grade), [['BEGINNER', 15]]);
  });

  test('facets sort by count, most first, then by value', () => {
    const tied: CubeRow[] = [
      row('1-5-2', 'ADVANCED', 'PAID', 2),
      row('1-5-1', 'BEGINNER', 'PAID', 2),
      row('1-4-1', 'INTERMEDIATE', 'PAID', 9),
      row('1-5-3', 'BEGINNER', 'FREE', 2),
    ];
    const { facets: found } = facets(tied, query());
    assert.deepEqual(counts(found.st), [
      ['1-4-1', 9],
      ['1-5-1', 2],
      ['1-5-2', 2],
      ['1-5-3', 2],
    ]);
    assert.deepEqual(counts(found.grade), [
      ['INTERMEDIATE', 9],
      ['BEGINNER', 4],
      ['ADVANCED', 2],
    ]);
  });

  test('a value counted 0 is left out of its facet', () => {
    const withZero: CubeRow[] = [
      row('1-3-1', 'BEGINNER', 'PAID', 2),
      row('1-4-1', 'ADVANCED', 'PAID', 0),
      row('1-4-1', 'ADVANCED', 'FREE', '0'),
    ];
    const { total, facets: found } = facets(withZero, query());
    assert.equal(total, 2);
    assert.deepEqual(found, {
      mt: [{ value: '1-3', name: 'major 1-3', count: 2 }],
      st: [{ value: '1-3-1', name: 'minor 1-3-1', count: 2 }],
      grade: [{ value: 'BEGINNER', name: 'BEGINNER', count: 2 }],
    });
  });

  test('no matches give a zero total and empty facets', () => {
    assert.deepEqual(facets([], query({ mt: '1-3' })), { total: 0, facets: { mt: [], st: [], grade: [] } });
  });
});
