import type { CourseDocument } from '@learnhub/contracts/course-index';
import { indexTokens, type QueryTerm } from '../text/tokens';

/**
 * The searchable text of a course, field by field in falling weight: name, then tags (with the
 * category names, so "前端" finds front-end courses named otherwise), then description, then
 * the organisation's name.
 */
export interface CourseText {
  name: string[];
  tags: string[];
  description: string[];
  organisation: string[];
}

export function courseText(document: CourseDocument): CourseText {
  return {
    name: indexTokens(document.name, { characters: true }),
    tags: indexTokens([...document.tags, document.mtName, document.stName].join(' '), { characters: true }),
    description: indexTokens(document.description, { characters: false }),
    organisation: indexTokens(document.organisationName, { characters: true }),
  };
}

/** The score of a hit: the best field holding every term. Ties are broken by recency. */
export enum Tier {
  NAME = 3,
  TAGS = 2,
  DESCRIPTION = 1,
  ELSEWHERE = 0,
}

const holds = (tokens: string[], term: QueryTerm) =>
  tokens.some((token) => (term.prefix ? token.startsWith(term.token) : token === term.token));

/** A course's tier for these terms, by the same tokens the index holds. */
export function tierOf(document: CourseDocument, terms: QueryTerm[]): Tier {
  const text = courseText(document);
  const fields: [Tier, string[]][] = [
    [Tier.NAME, text.name],
    [Tier.TAGS, text.tags],
    [Tier.DESCRIPTION, text.description],
  ];
  return fields.find(([, tokens]) => terms.every((term) => holds(tokens, term)))?.[0] ?? Tier.ELSEWHERE;
}
