/**
 * How search turns text into index tokens and queries into terms; both index adapters store
 * and match exactly these tokens, so they find the same documents.
 *
 * - Chinese (and Japanese/Korean) runs become overlapping character pairs (bigrams): "微服务" →
 *   微服, 服务. A dictionary segmenter (Intl.Segmenter) splits the same words differently across
 *   ICU versions and on context, and a query word cut differently from the document's never
 *   matches; bigrams are stable and need no dictionary.
 * - Short fields (name, tags, organisation) also index every single character, so a
 *   one-character query such as 课 finds them. Descriptions index bigrams only: a single
 *   character in prose matches nearly everything and would only add noise and index size.
 * - Other letters and digits form words, NFKC-normalised (full-width ＡＢＣ is ABC), lowercased
 *   and stripped of accents. A query word of two or more letters matches as a prefix, so
 *   "spring" finds SpringBoot and "vue" finds Vue3.
 */

// CJK scripts, plus the marks written inside their words: ー (katakana length) and 々 (repeat).
const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30fc\\u3005';
/** Whether a character is written in CJK runs (bigrams) rather than words. */
export const CJK = new RegExp(`[${CJK_CLASS}]`, 'u');
const RUNS = new RegExp(`[${CJK_CLASS}]+|(?:(?![${CJK_CLASS}])[\\p{L}\\p{M}\\p{N}])+`, 'gu');

/** The most terms a query uses; the rest of an absurdly long query is ignored. */
export const MAX_QUERY_TERMS = 32;
/** Longer words are cut: no real word is this long, and it bounds what an index stores. */
const MAX_WORD_LENGTH = 40;

export interface Run {
  text: string;
  cjk: boolean;
}

/** The runs of CJK characters and of other letters/digits in `text` (NFKC-normalised), in order. */
export function runs(text: string): Run[] {
  return [...text.normalize('NFKC').matchAll(RUNS)].map((match) => ({ text: match[0], cjk: CJK.test(match[0]) }));
}

/** A word as both the index and the query hold it. */
export function normaliseWord(word: string): string {
  return [
    ...word
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase(),
  ]
    .slice(0, MAX_WORD_LENGTH)
    .join('');
}

/** Overlapping character pairs; a lone character stands for itself. */
function bigrams(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) return chars;
  return chars.slice(1).map((char, i) => chars[i] + char);
}

/** The tokens a field contributes to the index; `characters` adds each CJK character alone. */
export function indexTokens(text: string, options: { characters: boolean }): string[] {
  const tokens: string[] = [];
  for (const run of runs(text)) {
    if (!run.cjk) {
      tokens.push(normaliseWord(run.text));
      continue;
    }
    const characters = [...run.text];
    if (options.characters && characters.length > 1) tokens.push(...characters);
    tokens.push(...bigrams(run.text));
  }
  return tokens;
}

/** One term of a query: every term must match; `prefix` terms match any token they begin. */
export interface QueryTerm {
  token: string;
  prefix: boolean;
}

/** The terms of a keyword query, without repeats, at most MAX_QUERY_TERMS; none for punctuation alone. */
export function queryTerms(keyword: string): QueryTerm[] {
  const terms = new Map<string, QueryTerm>();
  for (const run of runs(keyword)) {
    const candidates = run.cjk
      ? bigrams(run.text).map((token) => ({ token, prefix: false }))
      : [{ token: normaliseWord(run.text), prefix: true }];
    for (const term of candidates) {
      term.prefix &&= term.token.length >= 2;
      const key = `${term.token}${term.prefix ? '*' : ''}`;
      if (!terms.has(key)) terms.set(key, term);
      if (terms.size === MAX_QUERY_TERMS) return [...terms.values()];
    }
  }
  return [...terms.values()];
}
