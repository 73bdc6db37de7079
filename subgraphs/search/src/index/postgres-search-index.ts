import pg from 'pg';
import type { CourseDocument } from '../documents/course-document';
import type { QueryTerm } from '../text/tokens';
import { COURSE_COLUMN_NAMES, courseColumns, courseText, type CourseText } from './course-row';
import type { CourseSearchQuery, CourseSearchResult, SearchIndex, WriteOutcome } from './search-index';
import { runSearch, type SearchDialect } from './search-statements';

/** Bumped whenever the table changes; an index of another version is rebuilt empty (it is derived data: reindex). */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE search_course (
    id text PRIMARY KEY,
    version bigint NOT NULL,
    live smallint NOT NULL,
    document text, name text, mt text, mt_name text, st text, st_name text, grade text, charge text,
    price_cents bigint, published_at text,
    search tsvector
  );
  CREATE INDEX search_course_text ON search_course USING gin (search);
  CREATE INDEX search_course_newest ON search_course (live, published_at);
  CREATE INDEX search_course_facets ON search_course (live, st, grade, charge) INCLUDE (mt, mt_name, st_name);
`;

/** Positions past this are stored as this (PostgreSQL's limit). */
const MAX_POSITION = 16383;
/** Repeats of one word past this add nothing to ranking. */
const MAX_POSITIONS_PER_LEXEME = 64;
const WEIGHTS: [keyof CourseText, string][] = [
  ['name', 'A'],
  ['tags', 'B'],
  ['description', 'C'],
  ['organisation', 'D'],
];

const quote = (token: string) => `'${token.replace(/['\\]/g, (char) => char + char)}'`;

/**
 * The course's tokens as a tsvector literal with positions and a weight per field. Built here,
 * not by to_tsvector, so PostgreSQL's parser (which depends on the server's locale) never
 * re-splits the tokeniser's CJK bigrams and words.
 */
export function tsvectorLiteral(text: CourseText): string {
  const lexemes = new Map<string, string[]>();
  let position = 0;
  for (const [field, weight] of WEIGHTS) {
    for (const token of text[field]) {
      position = Math.min(position + 1, MAX_POSITION);
      const positions = lexemes.get(token) ?? [];
      if (positions.length < MAX_POSITIONS_PER_LEXEME) positions.push(`${position}${weight}`);
      lexemes.set(token, positions);
    }
  }
  return [...lexemes].map(([token, positions]) => `${quote(token)}:${positions.join(',')}`).join(' ');
}

/** tsquery syntax: every term quoted, prefix terms with `:*`, all required. */
function tsqueryLiteral(terms: QueryTerm[]): string {
  return terms.map((term) => `${quote(term.token)}${term.prefix ? ':*' : ''}`).join(' & ');
}

const dialect: SearchDialect = {
  placeholder: (position) => `$${position}`,
  matching: (terms, bind, scored) =>
    `SELECT d.id, d.st, d.st_name, d.mt, d.mt_name, d.grade, d.charge, d.price_cents, d.published_at` +
    // Weights {D, C, B, A}: organisation, description, tags, name, ten times apart.
    `${scored ? `, ts_rank('{0.001, 0.01, 0.1, 1.0}', d.search, q) AS score` : ''} ` +
    `FROM search_course d, CAST(${bind(tsqueryLiteral(terms))} AS tsquery) q WHERE d.search @@ q AND d.live = 1`,
};

/** Inserts or replaces `rows` courses, each only over an older or equal version. */
function upsertStatement(rows: number): string {
  const width = COURSE_COLUMN_NAMES.length + 1;
  const values = Array.from({ length: rows }, (_, row) =>
    Array.from({ length: width }, (_, column) => `$${row * width + column + 1}${column === width - 1 ? '::tsvector' : ''}`).join(', '),
  );
  return (
    `INSERT INTO search_course (${COURSE_COLUMN_NAMES.join(', ')}, search) VALUES (${values.join('), (')}) ` +
    `ON CONFLICT (id) DO UPDATE SET ${[...COURSE_COLUMN_NAMES.filter((name) => name !== 'id'), 'search'].map((name) => `${name} = EXCLUDED.${name}`).join(', ')} ` +
    'WHERE search_course.version <= EXCLUDED.version RETURNING id'
  );
}
const UPSERT = upsertStatement(1);

const COUNT = 'SELECT count(*) AS n FROM search_course WHERE live = 1';

/** Rows per INSERT while rebuilding. */
const REBUILD_BATCH = 500;

function upsertParams(id: string, version: number, document: CourseDocument | undefined): unknown[] {
  if (!document) return [id, version, 0, ...COURSE_COLUMN_NAMES.slice(3).map(() => null), null];
  const columns = courseColumns(document);
  return [...COURSE_COLUMN_NAMES.map((name) => columns[name]), tsvectorLiteral(courseText(document))];
}

/** PostgreSQL full text search over a GIN index, in the database `SEARCH_DATABASE_URL` names. */
export class PostgresSearchIndex implements SearchIndex {
  readonly kind = 'postgresql';

  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresSearchIndex> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    try {
      await PostgresSearchIndex.migrate(pool);
      return new PostgresSearchIndex(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  private static async migrate(pool: pg.Pool): Promise<void> {
    await transaction(pool, async (client) => {
      // Serialises concurrent starts (several search processes on one database).
      await client.query("SELECT pg_advisory_xact_lock(hashtext('learnhub.search_course'))");
      await client.query('CREATE TABLE IF NOT EXISTS search_schema (version integer NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM search_schema');
      if (rows[0]?.version === SCHEMA_VERSION) return;
      await client.query('DROP TABLE IF EXISTS search_course');
      await client.query(SCHEMA);
      await client.query('DELETE FROM search_schema');
      await client.query('INSERT INTO search_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    });
  }

  async search(query: CourseSearchQuery): Promise<CourseSearchResult> {
    return runSearch(dialect, query, async <T>({ sql, params }: { sql: string; params: unknown[] }) => {
      const result = await this.pool.query(sql, params);
      return result.rows as T[];
    });
  }

  async upsert(document: CourseDocument): Promise<WriteOutcome> {
    const result = await this.pool.query(UPSERT, upsertParams(document.id, document.version, document));
    return result.rowCount ? 'applied' : 'stale';
  }

  async remove(id: string, version: number): Promise<WriteOutcome> {
    const result = await this.pool.query(UPSERT, upsertParams(id, version, undefined));
    return result.rowCount ? 'applied' : 'stale';
  }

  /** Rebuilds in one transaction; searches see the old index until it commits. */
  async replaceAll(documents: AsyncIterable<CourseDocument> | Iterable<CourseDocument>): Promise<number> {
    return transaction(this.pool, async (client) => {
      await client.query('DELETE FROM search_course');
      // Keyed by id, so a source repeating a course keeps its newest version, as upserts would.
      let batch = new Map<string, CourseDocument>();
      const flush = async () => {
        const documents = [...batch.values()];
        batch = new Map();
        if (documents.length > 0) {
          await client.query(upsertStatement(documents.length), documents.flatMap((document) => upsertParams(document.id, document.version, document)));
        }
      };
      for await (const document of documents) {
        const held = batch.get(document.id);
        if (!held || held.version <= document.version) batch.set(document.id, document);
        if (batch.size === REBUILD_BATCH) await flush();
      }
      await flush();
      const { rows } = await client.query<{ n: string }>(COUNT);
      return Number(rows[0].n);
    });
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(COUNT);
    return Number(rows[0].n);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
