import type { Charge, CourseGrade } from '@learnhub/contracts/published-course';
import type { CourseDocument, WriteOutcome } from '@learnhub/contracts/course-index';

export enum CourseSearchSort {
  RELEVANCE = 'RELEVANCE',
  NEWEST = 'NEWEST',
  PRICE_ASC = 'PRICE_ASC',
  PRICE_DESC = 'PRICE_DESC',
}

/** A validated search: every filter is exact; no keyword lists every course. */
export interface CourseSearchQuery {
  keyword?: string;
  mt?: string;
  st?: string;
  grade?: CourseGrade;
  charge?: Charge;
  sort: CourseSearchSort;
  offset: number;
  limit: number;
}

export interface FacetCount {
  value: string;
  /** The category's name, or the grade itself. */
  name: string;
  count: number;
}

/** The facets a result offers; each honours every filter but its own. */
export interface CourseFacets {
  mt: FacetCount[];
  st: FacetCount[];
  grade: FacetCount[];
}

export interface CourseSearchHit {
  document: CourseDocument;
  /** Higher is more relevant; 0 when there is no keyword. */
  score: number;
  /** The name as HTML, matched terms in `<em>`, everything else escaped. */
  highlightedName: string;
}

export interface CourseSearchResult {
  total: number;
  hits: CourseSearchHit[];
  facets: CourseFacets;
}

/**
 * The published-course index. Writes are idempotent and versioned: the newest version of a
 * course wins, and a removal is remembered so an older document arriving late stays out.
 */
export interface SearchIndex {
  search(query: CourseSearchQuery): Promise<CourseSearchResult>;
  upsert(document: CourseDocument): Promise<WriteOutcome>;
  remove(id: string, version: number): Promise<WriteOutcome>;
  /** Replaces the whole index with these documents in one transaction; returns how many. */
  replaceAll(documents: AsyncIterable<CourseDocument> | Iterable<CourseDocument>): Promise<number>;
  /** How many courses can be found. */
  count(): Promise<number>;
  /** How many findable courses have ids not starting with `idPrefix`. */
  countOutside(idPrefix: string): Promise<number>;
  /** Throws when the index cannot answer (for /ready). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
