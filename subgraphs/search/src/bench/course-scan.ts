import type { CourseDocument } from '@learnhub/contracts/course-index';
import { CourseSearchSort, type CourseSearchQuery } from '../index/search-index';

const fold = (text: string) => text.normalize('NFKC').toLowerCase();

/**
 * The benchmark's baseline: search as it is done without an index, by checking every course for
 * every keyword part as a substring, then filtering, counting facets, sorting and paging in
 * memory. Its lowercased text is prepared once, as anyone rolling their own would.
 */
export function courseScan(documents: CourseDocument[]) {
  const prepared = documents.map((document) => ({
    document,
    name: fold(document.name),
    tags: fold([...document.tags, document.mtName, document.stName].join(' ')),
    description: fold(document.description),
    organisation: fold(document.organisationName),
    cents: Math.round(Number(document.price) * 100),
  }));
  return (query: CourseSearchQuery) => {
    const parts = fold(query.keyword ?? '')
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    if (query.keyword?.trim() && parts.length === 0) return { total: 0, hits: [] };
    const matches: { entry: (typeof prepared)[number]; score: number }[] = [];
    for (const entry of prepared) {
      let score = 0;
      let all = true;
      for (const part of parts) {
        const found = entry.name.includes(part)
          ? 3
          : entry.tags.includes(part)
            ? 2
            : entry.description.includes(part)
              ? 1
              : entry.organisation.includes(part)
                ? 0.5
                : 0;
        if (found === 0) {
          all = false;
          break;
        }
        score += found;
      }
      if (all) matches.push({ entry, score });
    }
    const filters = ['mt', 'st', 'grade', 'charge'] as const;
    const passing = (document: CourseDocument, except?: string) =>
      filters.every((f) => f === except || query[f] === undefined || document[f] === query[f]);
    const facets = Object.fromEntries(
      (['mt', 'st', 'grade'] as const).map((own) => {
        const counts = new Map<string, number>();
        for (const { entry } of matches)
          if (passing(entry.document, own)) counts.set(entry.document[own], (counts.get(entry.document[own]) ?? 0) + 1);
        return [own, counts];
      }),
    );
    const hits = matches.filter(({ entry }) => passing(entry.document));
    const newest = (a: (typeof hits)[0], b: (typeof hits)[0]) =>
      b.entry.document.publishedAt.localeCompare(a.entry.document.publishedAt);
    const order: Record<CourseSearchSort, (a: (typeof hits)[0], b: (typeof hits)[0]) => number> = {
      [CourseSearchSort.RELEVANCE]: (a, b) => b.score - a.score || newest(a, b),
      [CourseSearchSort.NEWEST]: newest,
      [CourseSearchSort.PRICE_ASC]: (a, b) => a.entry.cents - b.entry.cents || newest(a, b),
      [CourseSearchSort.PRICE_DESC]: (a, b) => b.entry.cents - a.entry.cents || newest(a, b),
    };
    hits.sort(order[query.sort]);
    return { total: hits.length, hits: hits.slice(query.offset, query.offset + query.limit), facets };
  };
}
