import { CJK as CJK_CHAR, normaliseWord, type QueryTerm } from './tokens';

const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
const isWordChar = (char: string | undefined) => char !== undefined && WORD_CHAR.test(char) && !CJK_CHAR.test(char);

/**
 * The name as safe HTML with every part a query term matched wrapped in `<em>`. Matching runs on
 * the name folded the way the tokeniser folds it, character by character, so the marks land on
 * the original characters (full-width letters and accents included).
 */
export function highlightName(name: string, terms: QueryTerm[]): string {
  const characters = [...name];
  let folded = '';
  const origin: number[] = [];
  characters.forEach((character, index) => {
    // Folded as the tokeniser folds: CJK is only NFKC-normalised, words also lose case and accents.
    const normalised = character.normalize('NFKC');
    const piece = CJK_CHAR.test(normalised) ? normalised : normaliseWord(normalised);
    folded += piece;
    for (let i = 0; i < piece.length; i++) origin.push(index);
  });

  const marked = new Array<boolean>(characters.length).fill(false);
  for (const term of terms) {
    const latin = !CJK_CHAR.test(term.token);
    for (let at = folded.indexOf(term.token); at !== -1; at = folded.indexOf(term.token, at + 1)) {
      const end = at + term.token.length;
      if (latin && (isWordChar(folded[at - 1]) || (!term.prefix && isWordChar(folded[end])))) continue;
      for (let i = at; i < end; i++) marked[origin[i]] = true;
    }
  }

  let html = '';
  characters.forEach((character, index) => {
    if (marked[index] && !marked[index - 1]) html += '<em>';
    html += escapeHtml(character);
    if (marked[index] && !marked[index + 1]) html += '</em>';
  });
  return html;
}
