import type { CourseDocument } from '@learnhub/contracts/course-index';
import { highlightName } from '../text/highlight';
import { queryTerms, type QueryTerm } from '../text/tokens';
import { tierOf } from './course-text';
import type { CourseFacets, CourseSearchQuery, CourseSearchResult, FacetCount } from './search-index';

/** How many courses have one (st, grade, charge) combination, with the names to show. */
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
/** The exact filters a search may set, each a column of the same name. */
export const FILTERS: Filter[] = ['mt', 'st', 'grade', 'charge'];

/** Whether a cube row passes the query's filters, leaving out `except`. */
export const passes = (row: Pick<CubeRow, Filter>, query: CourseSearchQuery, except?: Filter) =>
  FILTERS.every((name) => name === except || query[name] === undefined || row[name] === query[name]);

function facet(
  rows: CubeRow[],
  query: CourseSearchQuery,
  own: Filter,
  key: (row: CubeRow) => [string, string],
): FacetCount[] {
  const counts = new Map<string, FacetCount>();
  for (const row of rows) {
    if (!passes(row, query, own)) continue;
    const [value, name] = key(row);
    const entry = counts.get(value) ?? { value, name, count: 0 };
    entry.count += Number(row.n);
    counts.set(value, entry);
  }
  return [...counts.values()]
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

/**
 * The total and the facets from the cube of all matches (filters ignored): each facet honours
 * every filter but its own, so choosing a major still shows the other majors' counts.
 */
export function facets(rows: CubeRow[], query: CourseSearchQuery): { total: number; facets: CourseFacets } {
  return {
    total: rows.filter((row) => passes(row, query)).reduce((sum, row) => sum + Number(row.n), 0),
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

export type MaybePromise<T> = T | Promise<T>;

/** Chains without a tick when `value` is not a promise, so a synchronous store answers synchronously. */
function then<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * What an adapter provides to answer a search; `Key` is how it finds a course's document. A
 * store may answer synchronously (the embedded index, inside one read transaction) or not.
 */
export interface SearchStore<Key> {
  /** Counts per (st, grade, charge) among the courses matching `terms` (all courses when undefined). */
  cube(terms: QueryTerm[] | undefined): MaybePromise<CubeRow[]>;
  /** The keys of the page of hits, filtered and sorted; `total` is how many pass the filters. */
  page(query: CourseSearchQuery, terms: QueryTerm[] | undefined, total: number): MaybePromise<Key[]>;
  /** Each hit's document JSON. */
  documents(keys: Key[]): MaybePromise<Map<Key, string>>;
}

/**
 * Answers a search from an adapter's store: cube, then page, then that page's documents. A
 * keyword with nothing searchable in it (only punctuation) finds nothing rather than everything.
 */
export function runSearch<Key>(store: SearchStore<Key>, query: CourseSearchQuery): MaybePromise<CourseSearchResult> {
  const terms = termsOf(query);
  if (terms?.length === 0) return { total: 0, hits: [], facets: { mt: [], st: [], grade: [] } };
  return then(store.cube(terms), (cube) => {
    const counted = facets(cube, query);
    return then(counted.total > query.offset ? store.page(query, terms, counted.total) : [], (page) =>
      then(page.length > 0 ? store.documents(page) : new Map<Key, string>(), (documents) => ({
        ...counted,
        hits: page.map((key) => {
          const document = JSON.parse(documents.get(key)!) as CourseDocument;
          return {
            document,
            score: terms ? tierOf(document, terms) : 0,
            highlightedName: highlightName(document.name, terms ?? []),
          };
        }),
      })),
    );
  });
}

/** One adapter's view of the relevance tiers (see Tier), best first. */
export interface TierSource<Key> {
  readonly tiers: number;
  /** How many courses of this tier pass the filters. */
  count(tier: number): MaybePromise<number>;
  /** Keys of this tier's courses passing the filters, newest first. */
  page(tier: number, limit: number, offset: number): MaybePromise<Key[]>;
}

/**
 * One page by relevance: the best tier first, newest first within a tier. Each tier's page can
 * stop early; tiers wholly before the page are only counted.
 */
export function tieredPage<Key>(source: TierSource<Key>, query: CourseSearchQuery, total: number): MaybePromise<Key[]> {
  const wanted = Math.min(query.limit, total - query.offset);
  const fetch = (tier: number, skip: number, page: Key[]): MaybePromise<Key[]> =>
    then(source.page(tier, wanted - page.length, skip), (found) => next(tier + 1, 0, [...page, ...found]));
  const next = (tier: number, skip: number, page: Key[]): MaybePromise<Key[]> => {
    if (tier === source.tiers || page.length >= wanted) return page;
    if (skip === 0) return fetch(tier, 0, page);
    return then(source.count(tier), (size) =>
      skip >= size ? next(tier + 1, skip - size, page) : fetch(tier, skip, page),
    );
  };
  return next(0, query.offset, []);
}
