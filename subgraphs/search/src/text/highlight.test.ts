import assert from 'node:assert/strict';
import { test } from 'node:test';
import { highlightName } from './highlight';
import { queryTerms } from './tokens';

const highlight = (name: string, keyword: string) => highlightName(name, queryTerms(keyword));

test('overlapping CJK bigrams mark one range, not one per bigram', () => {
  assert.equal(highlight('微服务架构实战', '微服务'), '<em>微服务</em>架构实战');
});

test('ranges of different terms that touch merge; ranges apart stay apart', () => {
  assert.equal(highlight('微服架构', '微服 架构'), '<em>微服架构</em>');
  assert.equal(highlight('微服与架构', '微服 架构'), '<em>微服</em>与<em>架构</em>');
});

test('a one-character CJK term marks every occurrence', () => {
  assert.equal(highlight('课程与好课', '课'), '<em>课</em>程与好<em>课</em>');
});

test('a Latin prefix term marks only at the start of a word', () => {
  assert.equal(highlight('SpringBoot实战 Boot入门', 'boot'), 'SpringBoot实战 <em>Boot</em>入门');
  assert.equal(highlight('SpringBoot实战', 'spring'), '<em>Spring</em>Boot实战');
  assert.equal(highlight('学Java', 'java'), '学<em>Java</em>');
});

test('a one-letter term is exact: it marks a whole word only, next to CJK or spaces', () => {
  assert.equal(highlight('C语言 Java c', 'c'), '<em>C</em>语言 Java <em>c</em>');
  assert.equal(highlight('Cocos ObjC', 'c'), 'Cocos ObjC');
  assert.equal(highlight('C++入门', 'c'), '<em>C</em>++入门');
});

test('full-width letters are marked as written', () => {
  assert.equal(highlight('ＪＡＶＡ入门', 'java'), '<em>ＪＡＶＡ</em>入门');
});

test('accented letters are marked as written', () => {
  assert.equal(highlight('Café入门', 'cafe'), '<em>Café</em>入门');
});

// The tokeniser keeps kana and hangul as they are; the highlighter must fold them the same way.
test('Korean syllables are marked', () => {
  assert.equal(highlight('한국어 입문', '한국'), '<em>한국</em>어 입문');
});

test('Japanese kana with voicing marks (ガ, ド) are marked', () => {
  assert.equal(highlight('ガイド入門', 'ガイド'), '<em>ガイド</em>入門');
});

test('<, >, &, " and \' are escaped outside marks', () => {
  assert.equal(highlight(`<Java> & "Go" 'Rust'`, 'java'), '&lt;<em>Java</em>&gt; &amp; &quot;Go&quot; &#39;Rust&#39;');
});

test('<, >, &, " and \' are escaped inside marks', () => {
  // Query terms never hold punctuation; a hand-made term shows marked characters are escaped too.
  assert.equal(
    highlightName(`x <&>"' y`, [{ token: `<&>"'`, prefix: false }]),
    `x <em>&lt;&amp;&gt;&quot;&#39;</em> y`,
  );
});

test('no terms give the escaped name with no marks', () => {
  assert.equal(highlightName('<b>Vue3 & 微服务</b>', []), '&lt;b&gt;Vue3 &amp; 微服务&lt;/b&gt;');
});
