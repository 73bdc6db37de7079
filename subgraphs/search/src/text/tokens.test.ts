import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { indexTokens, MAX_QUERY_TERMS, queryTerms, runs } from './tokens';

const short = { characters: true };
const prose = { characters: false };

describe('indexTokens', () => {
  test('a CJK run gives overlapping bigrams, and each character too only with `characters`', () => {
    assert.deepEqual(indexTokens('微服务', short), ['微', '服', '务', '微服', '服务']);
    assert.deepEqual(indexTokens('微服务', prose), ['微服', '服务']);
  });

  test('a lone CJK character stands for itself once, with or without `characters`', () => {
    assert.deepEqual(indexTokens('学 Java 课', short), ['学', 'java', '课']);
    assert.deepEqual(indexTokens('学 Java 课', prose), ['学', 'java', '课']);
  });

  test('a Latin word written straight into Chinese is its own run, before the CJK bigrams', () => {
    assert.deepEqual(indexTokens('Spring微服务', prose), ['spring', '微服', '服务']);
    assert.deepEqual(indexTokens('Spring微服务', short), ['spring', '微', '服', '务', '微服', '服务']);
    assert.deepEqual(
      runs('Spring微服务').map(({ text, cjk }) => ({ text, cjk })),
      [
        { text: 'Spring', cjk: false },
        { text: '微服务', cjk: true },
      ],
    );
  });

  test('full-width letters and digits fold to ASCII (NFKC), and the word is lowercased', () => {
    assert.deepEqual(indexTokens('ＡＢＣ１２３', prose), ['abc123']);
  });

  test('accents are stripped, precomposed or combining', () => {
    assert.deepEqual(indexTokens('Café', prose), ['cafe']);
    assert.deepEqual(indexTokens('Cafe\u0301 Ñandú', prose), ['cafe', 'nandu']);
  });

  test('Japanese kana and Korean hangul are CJK runs, cut into bigrams like Chinese', () => {
    assert.deepEqual(
      runs('すし 한국어 カタカナ').map((run) => run.cjk),
      [true, true, true],
    );
    assert.deepEqual(indexTokens('すし', prose), ['すし']);
    assert.deepEqual(indexTokens('한국어', prose), ['한국', '국어']);
    assert.deepEqual(indexTokens('カタカナ', short), ['カ', 'タ', 'カ', 'ナ', 'カタ', 'タカ', 'カナ']);
  });

  test('punctuation alone gives no tokens', () => {
    assert.deepEqual(indexTokens('!?。，、…—— -- ++ ()', short), []);
  });

  test('words longer than 40 characters are cut to 40', () => {
    assert.deepEqual(indexTokens('x'.repeat(100), prose), ['x'.repeat(40)]);
  });

  test('a character outside the BMP stays whole in unigrams and bigrams', () => {
    assert.deepEqual(indexTokens('𠮷野家', short), ['𠮷', '野', '家', '𠮷野', '野家']);
    assert.deepEqual(indexTokens('𠮷', short), ['𠮷']);
    assert.deepEqual(queryTerms('𠮷'), [{ token: '𠮷', prefix: false }]);
  });
});

describe('runs', () => {
  test('runs are cut from the NFKC form: a compatibility character becomes the CJK it stands for', () => {
    assert.deepEqual(runs('㍿ab'), [
      { text: '株式会社', cjk: true },
      { text: 'ab', cjk: false },
    ]);
  });

  test('the katakana length mark and 々 stay inside their CJK run', () => {
    assert.deepEqual(runs('カレー 人々'), [
      { text: 'カレー', cjk: true },
      { text: '人々', cjk: true },
    ]);
    assert.deepEqual(queryTerms('カレー'), [
      { token: 'カレ', prefix: false },
      { token: 'レー', prefix: false },
    ]);
  });
});

describe('queryTerms', () => {
  test('Latin words of two or more characters match as prefixes, a single letter only exactly', () => {
    assert.deepEqual(queryTerms('c go'), [
      { token: 'c', prefix: false },
      { token: 'go', prefix: true },
    ]);
  });

  test('CJK bigrams and lone characters are exact terms', () => {
    assert.deepEqual(queryTerms('Spring微服务'), [
      { token: 'spring', prefix: true },
      { token: '微服', prefix: false },
      { token: '服务', prefix: false },
    ]);
    assert.deepEqual(queryTerms('课'), [{ token: '课', prefix: false }]);
  });

  test('repeats are dropped, also when they differ only by case or width', () => {
    assert.deepEqual(queryTerms('Java java ＪＡＶＡ 微服务 微服'), [
      { token: 'java', prefix: true },
      { token: '微服', prefix: false },
      { token: '服务', prefix: false },
    ]);
  });

  test('punctuation alone gives no terms', () => {
    assert.deepEqual(queryTerms('!?。，、…——'), []);
  });

  test('a 10 kB query keeps only its first MAX_QUERY_TERMS distinct terms', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`);
    const keyword = words.join(' ');
    assert.ok(keyword.length >= 10_000, `${keyword.length} characters`);
    assert.deepEqual(
      queryTerms(keyword),
      words.slice(0, MAX_QUERY_TERMS).map((token) => ({ token, prefix: true })),
    );
  });

  test('a long word is cut to 40 characters, as the index cuts it', () => {
    assert.deepEqual(queryTerms('y'.repeat(100)), [{ token: 'y'.repeat(40), prefix: true }]);
  });
});
