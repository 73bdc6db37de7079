import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CourseDocument } from '../documents/course-document';
import type { QueryTerm } from '../text/tokens';
import { COURSE_COLUMN_NAMES, courseColumns, courseText } from './course-row';
import type { CourseSearchQuery, CourseSearchResult, SearchIndex, WriteOutcome } from './search-index';
import { runSearch, type SearchDialect } from './search-statements';

/** Bumped whenever the tables change; an index of another version is rebuilt empty (it is derived data: reindex). */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE search_course (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    live INTEGER NOT NULL,
    document TEXT, name TEXT, mt TEXT, mt_name TEXT, st TEXT, st_name TEXT, grade TEXT, charge TEXT,
    price_cents INTEGER, published_at TEXT
  );
  CREATE INDEX search_course_newest ON search_course (live, published_at);
  CREATE INDEX search_course_facets ON search_course (live, st, grade, charge, mt, mt_name, st_name);
  -- Contentless: the tokens are not stored twice; the 'ascii' tokenizer only splits on the
  -- spaces between our own tokens (see text/tokens.ts) and leaves every other character alone.
  CREATE VIRTUAL TABLE search_course_text USING fts5(
    name, tags, description, organisation,
    content='', contentless_delete=1, tokenize='ascii', prefix='2 3'
  );
`;

/** FTS5 query syntax: every term quoted, prefix terms starred, all required. */
function matchExpression(terms: QueryTerm[]): string {
  return terms.map((term) => `"${term.token.replaceAll('"', '""')}"${term.prefix ? '*' : ''}`).join(' AND ');
}

/** The fields a match can come from, best first; organisation counts only through bm25. */
const TIERS = ['name', 'tags', 'description'];

/**
 * Scores are the best field holding every term (3 name, 2 tags, 1 description) plus a bm25
 * fraction below 1 to order within a field. bm25 alone cannot keep fields apart: FTS5 clamps
 * the idf of a term found in over half the documents to almost zero, whatever its column weight.
 */
const dialect: SearchDialect = {
  placeholder: () => '?',
  matching: (terms, bind, scored) => {
    const expression = matchExpression(terms);
    const tier = () =>
      TIERS.map(
        (column, i) =>
          `WHEN t.rowid IN (SELECT rowid FROM search_course_text WHERE search_course_text MATCH ${bind(`${column} : (${expression})`)}) THEN ${TIERS.length - i}`,
      ).join(' ');
    return (
      `SELECT d.id, d.st, d.st_name, d.mt, d.mt_name, d.grade, d.charge, d.price_cents, d.published_at` +
      `${scored ? `, (CASE ${tier()} ELSE 0 END) + t.r / (1.0 + t.r) AS score` : ''} ` +
      `FROM (SELECT rowid${scored ? ', -bm25(search_course_text, 100.0, 10.0, 1.0, 0.5) AS r' : ''} FROM search_course_text ` +
      `WHERE search_course_text MATCH ${bind(expression)}) t JOIN search_course d ON d.seq = t.rowid WHERE d.live = 1`
    );
  },
};

const COUNT = 'SELECT count(*) AS n FROM search_course WHERE live = 1';
const UPSERT =
  `INSERT INTO search_course (${COURSE_COLUMN_NAMES.join(', ')}) VALUES (${COURSE_COLUMN_NAMES.map((name) => `@${name}`).join(', ')}) ` +
  `ON CONFLICT (id) DO UPDATE SET ${COURSE_COLUMN_NAMES.filter((name) => name !== 'id').map((name) => `${name} = excluded.${name}`).join(', ')} RETURNING seq`;
const TOMBSTONE = Object.fromEntries(COURSE_COLUMN_NAMES.map((name) => [name, null]));

/** One connection's prepared writes. */
class Writer {
  private readonly stored;
  private readonly unindex;
  private readonly upsert;
  private readonly index;

  constructor(db: Database.Database) {
    this.stored = db.prepare<[string], { seq: number; version: number }>('SELECT seq, version FROM search_course WHERE id = ?');
    this.unindex = db.prepare('DELETE FROM search_course_text WHERE rowid = ?');
    this.upsert = db.prepare<[Record<string, unknown>], { seq: number }>(UPSERT);
    this.index = db.prepare('INSERT INTO search_course_text (rowid, name, tags, description, organisation) VALUES (?, ?, ?, ?, ?)');
  }

  /** Writes one course (or its tombstone when `document` is undefined) unless a newer version is stored. */
  write(id: string, version: number, document: CourseDocument | undefined): WriteOutcome {
    const stored = this.stored.get(id);
    if (stored && stored.version > version) return 'stale';
    if (stored) this.unindex.run(stored.seq);
    const { seq } = this.upsert.get(document ? courseColumns(document) : { ...TOMBSTONE, id, version, live: 0 })!;
    if (document) {
      const text = courseText(document);
      this.index.run(seq, text.name.join(' '), text.tags.join(' '), text.description.join(' '), text.organisation.join(' '));
    }
    return 'applied';
  }
}

/** The embedded index: SQLite FTS5 in one file (WAL, so a rebuild never blocks searches). */
export class SqliteSearchIndex implements SearchIndex {
  readonly kind = 'sqlite';
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
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    return db;
  }

  private migrate(): void {
    this.db.transaction(() => {
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version === SCHEMA_VERSION) return;
      this.db.exec('DROP TABLE IF EXISTS search_course_text; DROP TABLE IF EXISTS search_course;');
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  async search(query: CourseSearchQuery): Promise<CourseSearchResult> {
    return runSearch(dialect, query, async <T>({ sql, params }: { sql: string; params: unknown[] }) => this.db.prepare(sql).all(...params) as T[]);
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
      db.exec("DELETE FROM search_course; INSERT INTO search_course_text (search_course_text) VALUES ('delete-all');");
      const writer = new Writer(db);
      for await (const document of documents) {
        writer.write(document.id, document.version, document);
      }
      const { n } = db.prepare(COUNT).get() as { n: number };
      db.exec("INSERT INTO search_course_text (search_course_text) VALUES ('optimize'); COMMIT");
      return n;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    } finally {
      db.close();
    }
  }

  async count(): Promise<number> {
    return (this.db.prepare(COUNT).get() as { n: number }).n;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
