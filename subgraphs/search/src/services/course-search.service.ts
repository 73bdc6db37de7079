import type { Charge, CourseGrade } from '@learnhub/contracts/published-course';
import { badInput, type FieldProblem } from '@learnhub/platform/errors';
import { pageRequest, toPage, type PageInput, type PageRequest } from '@learnhub/platform/graphql';
import { CourseSearchSort, type CourseSearchResult, type SearchIndex } from '../index/search-index';

/** Longer keywords are refused: no real query is this long, and every term costs a lookup. */
export const MAX_KEYWORD_LENGTH = 200;
/** How deep paging may go; past this, a narrower search serves people better than page 500. */
export const MAX_RESULT_WINDOW = 10_000;

const CATEGORY = /^\d+(-\d+)*$/;

export interface CourseSearchRequest {
  keyword?: string | null;
  mt?: string | null;
  st?: string | null;
  grade?: CourseGrade | null;
  charge?: Charge | null;
  sort?: CourseSearchSort | null;
}

export interface CourseSearchPage extends CourseSearchResult {
  page: number;
  size: number;
  hasNext: boolean;
}

/** Public course search: validates the request, then asks the index. */
export class CourseSearchService {
  constructor(
    private readonly index: SearchIndex,
    private readonly maxPageSize: number,
  ) {}

  async search(request: CourseSearchRequest = {}, pageInput?: PageInput): Promise<CourseSearchPage> {
    const page = pageRequest(pageInput, this.maxPageSize);
    const problems = validate(request, page);
    if (problems.length > 0)
      throw badInput(`Invalid search: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
        fields: problems,
      });
    const result = await this.index.search({
      keyword: request.keyword ?? undefined,
      mt: request.mt ?? undefined,
      st: request.st ?? undefined,
      grade: request.grade ?? undefined,
      charge: request.charge ?? undefined,
      sort: request.sort ?? CourseSearchSort.RELEVANCE,
      offset: page.offset,
      limit: page.limit,
    });
    const { size, hasNext } = toPage(result.hits, result.total, page);
    return { ...result, page: page.page, size, hasNext };
  }
}

function validate(request: CourseSearchRequest, page: PageRequest): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (request.keyword && request.keyword.length > MAX_KEYWORD_LENGTH) {
    problems.push({
      field: 'input.keyword',
      message: `must be at most ${MAX_KEYWORD_LENGTH} characters (got ${request.keyword.length})`,
    });
  }
  for (const name of ['mt', 'st'] as const) {
    const id = request[name];
    if (id != null && !CATEGORY.test(id))
      problems.push({ field: `input.${name}`, message: 'must be a category id such as 1-3' });
  }
  if (request.mt && request.st && CATEGORY.test(request.st) && !request.st.startsWith(`${request.mt}-`)) {
    problems.push({ field: 'input.st', message: `is not a minor category of ${request.mt}` });
  }
  if (page.offset + page.size > MAX_RESULT_WINDOW) {
    problems.push({
      field: 'page.page',
      message: `goes past the first ${MAX_RESULT_WINDOW} results: narrow the search instead`,
    });
  }
  return problems;
}
