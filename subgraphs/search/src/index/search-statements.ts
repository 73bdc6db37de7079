import type { CourseDocument } from '../documents/course-document';
import { highlightName } from '../text/highlight';
import { queryTerms, type QueryTerm } from '../text/tokens';
import { CourseSearchSort, type CourseFacets, type CourseSearchQuery, type CourseSearchResult, type FacetCount } from './search-index';

/**
 * The search SQL both adapters share. They keep the same `search_course` table (one row per
 * course, with the filter and sort columns beside the document's JSON) and differ only in how
 * they find the rows matching the terms and score them.
 */
export interface SearchDialect {
  placeholder(position: number): string;
  /**
   * A SELECT of the live courses matching `terms` with the columns `id, st, st_name, mt,
   * mt_name, grade, charge, price_cents, published_at` of `search_course d`, and `score`
   * (higher is better) when `scored`.
   */
  matching(terms: QueryTerm[], bind: (value: unknown) => string, scored: boolean): string;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

const COLUMNS = 'd.id, d.st, d.st_name, d.mt, d.mt_name, d.grade, d.charge, d.price_cents, d.published_at';

function builder(dialect: SearchDialect) {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const source = (terms: QueryTerm[] | undefined, scored: boolean) =>
    terms ? dialect.matching(terms, bind, scored) : `SELECT ${COLUMNS}${scored ? ', 0 AS score' : ''} FROM search_course d WHERE d.live = 1`;
  return { params, bind, source };
}

/**
 * Counts of every (st, grade, charge) among all matches, filters ignored: a few hundred rows at
 * most, from which `facets` derives the total and each facet with its own filter left out, all
 * from one pass over the matches.
 */
export function cubeStatement(dialect: SearchDialect, terms: QueryTerm[] | undefined): Statement {
  const { params, source } = builder(dialect);
  const sql =
    'SELECT st, max(st_name) AS st_name, max(mt) AS mt, max(mt_name) AS mt_name, grade, charge, count(*) AS n ' +
    `FROM (${source(terms, false)}) m GROUP BY st, grade, charge`;
  return { sql, params };
}

const ORDER: Record<CourseSearchSort, string> = {
  [CourseSearchSort.RELEVANCE]: 's DESC, pa DESC, pid',
  [CourseSearchSort.NEWEST]: 'pa DESC, pid',
  [CourseSearchSort.PRICE_ASC]: 'pc, s DESC, pa DESC, pid',
  [CourseSearchSort.PRICE_DESC]: 'pc DESC, s DESC, pa DESC, pid',
};

/** One page of hits, filtered and sorted, with each course's document. */
export function hitsStatement(dialect: SearchDialect, query: CourseSearchQuery, terms: QueryTerm[] | undefined): Statement {
  const { params, bind, source } = builder(dialect);
  // Bound in the order they appear in the SQL: positional placeholders (SQLite's ?) need it.
  const matches = source(terms, true);
  const filters = (['mt', 'st', 'grade', 'charge'] as const).filter((name) => query[name] !== undefined).map((name) => `${name} = ${bind(query[name])}`);
  const sort = !terms && query.sort === CourseSearchSort.RELEVANCE ? CourseSearchSort.NEWEST : query.sort;
  const page =
    `SELECT id AS pid, score AS s, published_at AS pa, price_cents AS pc FROM (${matches}) m` +
    `${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''} ORDER BY ${ORDER[sort]} LIMIT ${bind(query.limit)} OFFSET ${bind(query.offset)}`;
  const outer = ORDER[sort].replace(/\b(s|pa|pc|pid)\b/g, 'p.$1');
  return { sql: `SELECT d.document, p.s AS score FROM (${page}) p JOIN search_course d ON d.id = p.pid ORDER BY ${outer}`, params };
}

export interface CubeRow {
  st: string;
  st_name: string;
  mt: string;
  mt_name: string;
  grade: string;
  charge: string;
  n: number | string | bigint;
}

type Filter = 'mt' | 'st' | 'grade' | 'charge';

function facet(rows: CubeRow[], query: CourseSearchQuery, own: Filter, key: (row: CubeRow) => [string, string]): FacetCount[] {
  const counts = new Map<string, FacetCount>();
  for (const row of rows) {
    if ((['mt', 'st', 'grade', 'charge'] as const).some((name) => name !== own && query[name] !== undefined && row[name] !== query[name])) continue;
    const [value, name] = key(row);
    const entry = counts.get(value) ?? { value, name, count: 0 };
    entry.count += Number(row.n);
    counts.set(value, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

/** The total and the facets, each facet honouring every filter but its own. */
export function facets(rows: CubeRow[], query: CourseSearchQuery): { total: number; facets: CourseFacets } {
  const total = rows
    .filter((row) => (['mt', 'st', 'grade', 'charge'] as const).every((name) => query[name] === undefined || row[name] === query[name]))
    .reduce((sum, row) => sum + Number(row.n), 0);
  return {
    total,
    facets: {
      mt: facet(rows, query, 'mt', (row) => [row.mt, row.mt_name]),
      st: facet(rows, query, 'st', (row) => [row.st, row.st_name]),
      grade: facet(rows, query, 'grade', (row) => [row.grade, row.grade]),
    },
  };
}

/** The terms to match, undefined when there is no keyword (every course matches). */
export function termsOf(query: CourseSearchQuery): QueryTerm[] | undefined {
  const keyword = query.keyword?.trim();
  return keyword ? queryTerms(keyword) : undefined;
}

/**
 * Runs a search with the adapter's two statements: the facet cube and the page. A keyword with
 * nothing searchable in it (only punctuation) finds nothing rather than everything.
 */
export async function runSearch(
  dialect: SearchDialect,
  query: CourseSearchQuery,
  all: <T>(statement: Statement) => Promise<T[]>,
): Promise<CourseSearchResult> {
  const terms = termsOf(query);
  if (terms?.length === 0) return { total: 0, hits: [], facets: { mt: [], st: [], grade: [] } };
  const [cube, page] = await Promise.all([
    all<CubeRow>(cubeStatement(dialect, terms)),
    all<{ document: string; score: number | string }>(hitsStatement(dialect, query, terms)),
  ]);
  return {
    ...facets(cube, query),
    hits: page.map((row) => {
      const document = JSON.parse(row.document) as CourseDocument;
      return { document, score: Number(row.score), highlightedName: highlightName(document.name, terms ?? []) };
    }),
  };
}
