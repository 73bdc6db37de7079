import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CourseDocument, WriteOutcome } from '@learnhub/contracts/course-index';
import { cents } from '../documents/course-document';
import type { QueryTerm } from '../text/tokens';
import { courseText } from './course-text';
import { CourseSearchSort, type CourseSearchQuery, type CourseSearchResult, type SearchIndex } from './search-index';
import { passes, runSearch, tieredPage, type CubeRow, type SearchStore } from './search-plan';

/** Bumped whenever the tables change; an index of another version is rebuilt empty (it is derived data: reindex). */
const SCHEMA_VERSION = 4;

/*
 * A course's key is its full-text rowid, built so that the index itself answers the expensive
 * parts of a search without visiting course rows:
 *   key = publish minute × 2^27 + facet code × 2^15 + a number telling apart courses that share both.
 * Walking a match list by descending key is newest first and can stop after one page; and the
 * facet code ((st, grade, charge), numbered in search_facet) is read off each match's key, so
 * facets over tens of thousands of matches are one pass inside SQLite.
 */
const CODE_BITS = 15;
const CODE_SHIFT = 2 ** CODE_BITS;
const MINUTE_SHIFT = 2 ** 27;
const MAX_CODE = 4095;
const MAX_MINUTE = 2 ** 26 - 1;
/** A key's facet code; arithmetic, as keys pass 2^32 where JavaScript's bit operators stop (SQL's shift below does not). */
const codeOf = (key: number) => Math.floor(key / CODE_SHIFT) % (MAX_CODE + 1);
const codeFilter = (column: string, codes: number[]) =>
  `((${column} >> ${CODE_BITS}) & ${MAX_CODE}) IN (${codes.join(', ')})`;

const SCHEMA = `
  CREATE TABLE search_course (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    price_cents INTEGER NOT NULL
  );
  -- Price order with ties newest first, both ways: this index forwards, and backwards the
  -- implicit (price_cents, key) one below.
  CREATE INDEX search_course_cheapest ON search_course (price_cents, key DESC);
  CREATE INDEX search_course_dearest ON search_course (price_cents);
  -- Apart from the course rows, so that only a page of hits reads documents.
  CREATE TABLE search_course_document (key INTEGER PRIMARY KEY, document TEXT NOT NULL);
  -- Removed courses, remembered so that an older version arriving late stays out.
  CREATE TABLE search_tombstone (id TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE search_facet (
    code INTEGER PRIMARY KEY,
    mt TEXT NOT NULL, mt_name TEXT NOT NULL, st TEXT NOT NULL, st_name TEXT NOT NULL, grade TEXT NOT NULL, charge TEXT NOT NULL,
    courses INTEGER NOT NULL DEFAULT 0,
    UNIQUE (st, grade, charge)
  );
  -- Contentless: the tokens are not stored twice; the 'ascii' tokenizer only splits on the
  -- spaces between our own tokens (see text/tokens.ts) and leaves every other character alone.
  CREATE VIRTUAL TABLE search_course_text USING fts5(
    name, tags, description, organisation,
    content='', contentless_delete=1, tokenize='ascii', prefix='2 3'
  );
`;

/** FTS5 query syntax: every term quoted, prefix terms starred, all required. */
function matchExpression(terms: QueryTerm[]): string {
  return `(${terms.map((term) => `"${term.token.replaceAll('"', '""')}"${term.prefix ? '*' : ''}`).join(' AND ')})`;
}

/** The match expression of each tier (see Tier), best first: all terms in that field and in no better one. */
function tierExpressions(terms: QueryTerm[]): string[] {
  const all = matchExpression(terms);
  const within = (column: string) => `${column} : ${all}`;
  return [
    within('name'),
    `${within('tags')} NOT ${within('name')}`,
    `${within('description')} NOT ${within('name')} NOT ${within('tags')}`,
    `${all} NOT ${within('name')} NOT ${within('tags')} NOT ${within('description')}`,
  ];
}

interface Facet extends Omit<CubeRow, 'n'> {
  code: number;
  courses: number;
}

/** One connection's prepared writes. */
class Writer {
  private readonly stored;
  private readonly tombstone;
  private readonly buried;
  private readonly unburied;
  private readonly removeCourse;
  private readonly removeText;
  private readonly removeDocument;
  private readonly count;
  private readonly facet;
  private readonly taken;
  private readonly insertCourse;
  private readonly insertText;
  private readonly insertDocument;

  constructor(db: Database.Database) {
    this.stored = db.prepare<[string], { key: number; version: number }>(
      'SELECT key, version FROM search_course WHERE id = ?',
    );
    this.tombstone = db.prepare<[string], { version: number }>('SELECT version FROM search_tombstone WHERE id = ?');
    this.buried = db.prepare(
      'INSERT INTO search_tombstone (id, version) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
    );
    this.unburied = db.prepare('DELETE FROM search_tombstone WHERE id = ?');
    this.removeCourse = db.prepare('DELETE FROM search_course WHERE key = ?');
    this.removeText = db.prepare('DELETE FROM search_course_text WHERE rowid = ?');
    this.removeDocument = db.prepare('DELETE FROM search_course_document WHERE key = ?');
    this.count = db.prepare('UPDATE search_facet SET courses = courses + ? WHERE code = ?');
    this.facet = db.prepare<[Record<string, string>], { code: number }>(
      'INSERT INTO search_facet (mt, mt_name, st, st_name, grade, charge) VALUES (@mt, @mt_name, @st, @st_name, @grade, @charge) ' +
        'ON CONFLICT (st, grade, charge) DO UPDATE SET mt = excluded.mt, mt_name = excluded.mt_name, st_name = excluded.st_name RETURNING code',
    );
    this.taken = db.prepare<[number], number>('SELECT 1 FROM search_course WHERE key = ?').pluck();
    this.insertCourse = db.prepare('INSERT INTO search_course (key, id, version, price_cents) VALUES (?, ?, ?, ?)');
    this.insertText = db.prepare(
      'INSERT INTO search_course_text (rowid, name, tags, description, organisation) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertDocument = db.prepare('INSERT INTO search_course_document (key, document) VALUES (?, ?)');
  }

  /** Writes one course (or its removal when `document` is undefined) unless a newer version is stored. */
  write(id: string, version: number, document: CourseDocument | undefined): WriteOutcome {
    const stored = this.stored.get(id);
    if ((stored?.version ?? this.tombstone.get(id)?.version ?? 0) > version) return 'stale';
    if (stored) {
      this.removeCourse.run(stored.key);
      this.removeText.run(stored.key);
      this.removeDocument.run(stored.key);
      this.count.run(-1, codeOf(stored.key));
    }
    if (!document) {
      this.buried.run(id, version);
      return 'applied';
    }
    this.unburied.run(id);
    const { code } = this.facet.get({
      mt: document.mt,
      mt_name: document.mtName,
      st: document.st,
      st_name: document.stName,
      grade: document.grade,
      charge: document.charge,
    })!;
    if (code > MAX_CODE)
      throw new Error(`The embedded index holds at most ${MAX_CODE} (minor category, grade, charge) combinations.`);
    const key = this.freeKey(document.publishedAt, code);
    const text = courseText(document);
    this.insertCourse.run(key, id, version, cents(document.price));
    this.insertText.run(
      key,
      text.name.join(' '),
      text.tags.join(' '),
      text.description.join(' '),
      text.organisation.join(' '),
    );
    this.insertDocument.run(key, JSON.stringify(document));
    this.count.run(1, code);
    return 'applied';
  }

  private freeKey(publishedAt: string, code: number): number {
    const minute = Math.min(Math.max(Math.floor(Date.parse(publishedAt) / 60_000), 0), MAX_MINUTE);
    const base = minute * MINUTE_SHIFT + code * CODE_SHIFT;
    for (let key = base; key < base + CODE_SHIFT; key++) if (!this.taken.get(key)) return key;
    throw new Error(`More than ${CODE_SHIFT} courses share publish minute ${publishedAt} and one facet combination.`);
  }
}

const COUNT = 'SELECT count(*) FROM search_course';
/** Price order, ties newest first (search_course columns). */
const byPrice = (sort: CourseSearchSort) =>
  `price_cents ${sort === CourseSearchSort.PRICE_ASC ? 'ASC' : 'DESC'}, key DESC`;
/** From this many matches on, walking the price index beats sorting the matches. */
const BROAD_MATCH = 2000;

/** The embedded index: SQLite FTS5 in one file (WAL, so a rebuild never blocks searches). */
export class SqliteSearchIndex implements SearchIndex {
  private readonly db: Database.Database;
  private readonly writer: Writer;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = SqliteSearchIndex.connect(file);
    this.migrate();
    this.writer = new Writer(this.db);
  }

  private static connect(file: string): Database.Database {
    const db = new Database(file);
    // Counts matches per facet code ("code:n code:n …") in a typed array: a GROUP BY would sort
    // every match first, twice as slow for the broad queries where facets cost the most.
    db.aggregate('facet_counts', {
      start: () => new Uint32Array(MAX_CODE + 1),
      // The typings take the second argument for an element of the accumulator; it is the key.
      step: (counts, key) => void counts[codeOf(Number(key))]++,
      result: (counts) =>
        [...counts.entries()]
          .filter(([, n]) => n > 0)
          .map(([code, n]) => `${code}:${n}`)
          .join(' '),
    });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    // Room for the hot part of the full-text index of 100,000+ courses.
    db.pragma('cache_size = -65536');
    db.pragma('mmap_size = 268435456');
    return db;
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        if (this.db.pragma('user_version', { simple: true }) === SCHEMA_VERSION) return;
        for (const table of [
          'search_course_text',
          'search_course_document',
          'search_tombstone',
          'search_facet',
          'search_course',
        ]) {
          this.db.exec(`DROP TABLE IF EXISTS ${table}`);
        }
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  async search(query: CourseSearchQuery): Promise<CourseSearchResult> {
    // One read transaction, so the cube, the page and the documents see the same index.
    return this.db.transaction(() => runSearch(this.store(), query) as CourseSearchResult)();
  }

  private store(): SearchStore<number> {
    const facets = this.db
      .prepare('SELECT code, mt, mt_name, st, st_name, grade, charge, courses FROM search_facet')
      .all() as Facet[];
    return {
      cube: (terms) => {
        if (!terms) return facets.map((facet) => ({ ...facet, n: facet.courses }));
        const counts = this.db
          .prepare('SELECT facet_counts(rowid) FROM search_course_text WHERE search_course_text MATCH ?')
          .pluck()
          .get(matchExpression(terms)) as string;
        const byCode = new Map(facets.map((facet) => [facet.code, facet]));
        return counts
          ? counts
              .split(' ')
              .map((pair) => pair.split(':').map(Number))
              .map(([code, n]) => ({ ...byCode.get(code)!, n }))
          : [];
      },
      page: (query, terms, total) => {
        const chosen = facets.filter((facet) => passes(facet, query)).map((facet) => facet.code);
        // Only when some filter narrows the codes; every code passing is no filter at all.
        const codes = chosen.length < facets.length ? chosen : undefined;
        if (!terms) return this.browsingPage(query, codes);
        if (query.sort === CourseSearchSort.RELEVANCE) return this.relevantPage(query, terms, codes, total);
        return this.sortedPage(query, terms, codes, total);
      },
      documents: (keys) => {
        const rows = this.db
          .prepare(`SELECT key, document FROM search_course_document WHERE key IN (${keys.join(', ')})`)
          .all() as { key: number; document: string }[];
        return new Map(rows.map((row) => [row.key, row.document]));
      },
    };
  }

  private matchFilter(codes: number[] | undefined): string {
    return `search_course_text MATCH ?${codes ? ` AND ${codeFilter('search_course_text.rowid', codes)}` : ''}`;
  }

  /**
   * Keys of one page of courses matching the terms, newest first or by price. By price, a broad
   * match walks the price index and keeps the matches (it stops after the page); a narrow one
   * sorts its few matches.
   */
  private sortedPage(
    query: CourseSearchQuery,
    terms: QueryTerm[],
    codes: number[] | undefined,
    total: number,
  ): number[] {
    const page = (sql: string) =>
      this.db.prepare(sql).pluck().all(matchExpression(terms), query.limit, query.offset) as number[];
    if (query.sort === CourseSearchSort.NEWEST)
      return page(
        `SELECT rowid FROM search_course_text WHERE ${this.matchFilter(codes)} ORDER BY rowid DESC LIMIT ? OFFSET ?`,
      );
    const order = byPrice(query.sort);
    if (total >= BROAD_MATCH) {
      return page(
        `SELECT key FROM search_course WHERE key IN (SELECT rowid FROM search_course_text WHERE ${this.matchFilter(codes)}) ORDER BY ${order} LIMIT ? OFFSET ?`,
      );
    }
    return page(
      `SELECT key FROM search_course_text JOIN search_course ON key = search_course_text.rowid WHERE ${this.matchFilter(codes)} ORDER BY ${order} LIMIT ? OFFSET ?`,
    );
  }

  /** One page by relevance, each tier walked newest first. */
  private relevantPage(
    query: CourseSearchQuery,
    terms: QueryTerm[],
    codes: number[] | undefined,
    total: number,
  ): number[] {
    const where = this.matchFilter(codes);
    const expressions = tierExpressions(terms);
    return tieredPage<number>(
      {
        tiers: expressions.length,
        count: (tier) =>
          this.db
            .prepare(`SELECT count(*) FROM search_course_text WHERE ${where}`)
            .pluck()
            .get(expressions[tier]) as number,
        page: (tier, limit, offset) =>
          this.db
            .prepare(`SELECT rowid FROM search_course_text WHERE ${where} ORDER BY rowid DESC LIMIT ? OFFSET ?`)
            .pluck()
            .all(expressions[tier], limit, offset) as number[],
      },
      query,
      total,
    ) as number[];
  }

  /** Keys of one page of all courses. */
  private browsingPage(query: CourseSearchQuery, codes: number[] | undefined): number[] {
    const order =
      query.sort === CourseSearchSort.PRICE_ASC || query.sort === CourseSearchSort.PRICE_DESC
        ? byPrice(query.sort)
        : 'key DESC';
    return this.db
      .prepare(
        `SELECT key FROM search_course${codes ? ` WHERE ${codeFilter('key', codes)}` : ''} ORDER BY ${order} LIMIT ? OFFSET ?`,
      )
      .pluck()
      .all(query.limit, query.offset) as number[];
  }

  async upsert(document: CourseDocument): Promise<WriteOutcome> {
    return this.db.transaction(() => this.writer.write(document.id, document.version, document)).immediate();
  }

  async remove(id: string, version: number): Promise<WriteOutcome> {
    return this.db.transaction(() => this.writer.write(id, version, undefined)).immediate();
  }

  /** Rebuilds on a second connection, so searches keep reading the old index until the commit. */
  async replaceAll(documents: AsyncIterable<CourseDocument> | Iterable<CourseDocument>): Promise<number> {
    const db = SqliteSearchIndex.connect(this.file);
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec(
        'DELETE FROM search_course; DELETE FROM search_course_document; DELETE FROM search_tombstone; DELETE FROM search_facet; ' +
          "INSERT INTO search_course_text (search_course_text) VALUES ('delete-all');",
      );
      const writer = new Writer(db);
      for await (const document of documents) writer.write(document.id, document.version, document);
      const count = db.prepare(COUNT).pluck().get() as number;
      db.exec("INSERT INTO search_course_text (search_course_text) VALUES ('optimize'); COMMIT");
      return count;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    } finally {
      db.close();
    }
  }

  async count(): Promise<number> {
    return this.db.prepare(COUNT).pluck().get() as number;
  }

  async countOutside(idPrefix: string): Promise<number> {
    return this.db.prepare(`${COUNT} WHERE substr(id, 1, ?) <> ?`).pluck().get(idPrefix.length, idPrefix) as number;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
