// What other workspaces' tests may use of search: its index, opened as the search service opens it, and the service itself.
export { openSearchIndex } from '../index/open-search-index';
export { CourseSearchSort, type SearchIndex } from '../index/search-index';
export { startSearch } from '../server';
