import pg from 'pg';
import type { CourseDocument, WriteOutcome } from '@learnhub/contracts/course-index';
import { cents } from '../documents/course-document';
import type { QueryTerm } from '../text/tokens';
import { courseText, type CourseText } from './course-text';
import { CourseSearchSort, type CourseSearchQuery, type CourseSearchResult, type SearchIndex } from './search-index';
import { FILTERS, runSearch, tieredPage, type CubeRow, type SearchStore } from './search-plan';

/** Bumped whenever the tables change; an index of another version is rebuilt empty (it is derived data: reindex). */
const SCHEMA_VERSION = 6;

const SCHEMA = `
  CREATE TABLE search_course (
    -- "C": the id only breaks ties, and byte order sorts far faster than a locale's collation.
    id text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL,
    live smallint NOT NULL,
    mt text, mt_name text, st text, st_name text, grade text, charge text, price_cents bigint, published_at timestamptz,
    -- Every field, weighted, to match; and the fields that rank, each alone, to tell the tiers apart.
    search tsvector, name_search tsvector, tags_search tsvector, description_search tsvector
  -- The vectors go out of line even when small: rows stay ~200 bytes, so scanning tens of
  -- thousands of matches for facets reads a few MB, not the whole table and its vectors.
  ) WITH (toast_tuple_target = 128);
  CREATE INDEX search_course_text ON search_course USING gin (search);
  CREATE INDEX search_course_name ON search_course USING gin (name_search);
  CREATE INDEX search_course_tags ON search_course USING gin (tags_search);
  CREATE INDEX search_course_description ON search_course USING gin (description_search);
  -- One index per sort, each in exactly the sort's order, so a page is read off the index.
  CREATE INDEX search_course_newest ON search_course (live, published_at DESC, id);
  CREATE INDEX search_course_cheapest ON search_course (live, price_cents, published_at DESC, id);
  CREATE INDEX search_course_dearest ON search_course (live, price_cents DESC, published_at DESC, id);
  CREATE INDEX search_course_facets ON search_course (live, st, grade, charge) INCLUDE (mt, mt_name, st_name);
  -- Apart from the course rows, so that scanning matches reads small rows.
  CREATE TABLE search_course_document (id text PRIMARY KEY, document text NOT NULL);
  -- Live courses per (st, grade, charge), kept by the triggers below: browsing every course
  -- reads these few hundred rows instead of counting 100,000.
  CREATE TABLE search_facet (
    st text NOT NULL, grade text NOT NULL, charge text NOT NULL, mt text NOT NULL, mt_name text NOT NULL, st_name text NOT NULL,
    courses bigint NOT NULL,
    PRIMARY KEY (st, grade, charge)
  );
  CREATE FUNCTION search_facet_count() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      UPDATE search_facet f SET courses = f.courses - g.n
        FROM (SELECT st, grade, charge, count(*) AS n FROM gone WHERE live = 1 GROUP BY st, grade, charge) g
        WHERE f.st = g.st AND f.grade = g.grade AND f.charge = g.charge;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO search_facet (st, grade, charge, mt, mt_name, st_name, courses)
        SELECT st, grade, charge, max(mt), max(mt_name), max(st_name), count(*) FROM added WHERE live = 1 GROUP BY st, grade, charge
        ON CONFLICT (st, grade, charge) DO UPDATE
        SET courses = search_facet.courses + EXCLUDED.courses, mt = EXCLUDED.mt, mt_name = EXCLUDED.mt_name, st_name = EXCLUDED.st_name;
    END IF;
    RETURN NULL;
  END $$;
  -- Per statement, over the rows it changed: a rebuild's batch of 500 is one update per combination.
  CREATE TRIGGER search_facet_added AFTER INSERT ON search_course REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_facet_count();
  CREATE TRIGGER search_facet_changed AFTER UPDATE ON search_course REFERENCING OLD TABLE AS gone NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_facet_count();
  CREATE TRIGGER search_facet_gone AFTER DELETE ON search_course REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION search_facet_count();
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
 * Tokens as a tsvector literal with positions and a weight per field. Built here,
 * not by to_tsvector, so PostgreSQL's parser (which depends on the server's locale) never
 * re-splits the tokeniser's CJK bigrams and words.
 */
export function tsvectorLiteral(text: Partial<CourseText>): string {
  const lexemes = new Map<string, string[]>();
  let position = 0;
  for (const [field, weight] of WEIGHTS) {
    for (const token of text[field] ?? []) {
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

/** The match condition of each tier (see Tier), best first: all terms in that field and in no better one. */
const TIERS = [
  'd.name_search @@ q',
  'd.tags_search @@ q AND NOT d.name_search @@ q',
  'd.description_search @@ q AND NOT d.name_search @@ q AND NOT d.tags_search @@ q',
  'd.search @@ q AND NOT d.name_search @@ q AND NOT d.tags_search @@ q AND NOT d.description_search @@ q',
];

const ORDER: Record<CourseSearchSort, string> = {
  [CourseSearchSort.RELEVANCE]: 'd.published_at DESC, d.id',
  [CourseSearchSort.NEWEST]: 'd.published_at DESC, d.id',
  [CourseSearchSort.PRICE_ASC]: 'd.price_cents, d.published_at DESC, d.id',
  [CourseSearchSort.PRICE_DESC]: 'd.price_cents DESC, d.published_at DESC, d.id',
};

const COLUMNS = [
  'id',
  'version',
  'live',
  'mt',
  'mt_name',
  'st',
  'st_name',
  'grade',
  'charge',
  'price_cents',
  'published_at',
];
const VECTORS = ['search', 'name_search', 'tags_search', 'description_search'];

function courseRow(id: string, version: number, document: CourseDocument | undefined): unknown[] {
  if (!document) return [id, version, 0, ...Array.from({ length: COLUMNS.length - 3 + VECTORS.length }, () => null)];
  const text = courseText(document);
  return [
    ...[
      id,
      version,
      1,
      document.mt,
      document.mtName,
      document.st,
      document.stName,
      document.grade,
      document.charge,
      cents(document.price),
      document.publishedAt,
    ],
    ...[
      tsvectorLiteral(text),
      tsvectorLiteral({ name: text.name }),
      tsvectorLiteral({ tags: text.tags }),
      tsvectorLiteral({ description: text.description }),
    ],
  ];
}

/** Inserts or replaces `rows` courses, each only over an older or equal version; returns the ids written. */
function upsertStatement(rows: number): string {
  const width = COLUMNS.length + VECTORS.length;
  const values = Array.from({ length: rows }, (_, row) =>
    Array.from(
      { length: width },
      (_, column) => `$${row * width + column + 1}${column >= COLUMNS.length ? '::tsvector' : ''}`,
    ).join(', '),
  );
  const names = [...COLUMNS, ...VECTORS];
  return (
    `INSERT INTO search_course (${names.join(', ')}) VALUES (${values.join('), (')}) ` +
    `ON CONFLICT (id) DO UPDATE SET ${names
      .filter((name) => name !== 'id')
      .map((name) => `${name} = EXCLUDED.${name}`)
      .join(', ')} ` +
    'WHERE search_course.version <= EXCLUDED.version RETURNING id'
  );
}

/** Writes courses (or, for undefined documents, their removals); returns how many were newer than what was stored. */
async function write(
  client: pg.ClientBase,
  entries: { id: string; version: number; document?: CourseDocument }[],
): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    upsertStatement(entries.length),
    entries.flatMap((entry) => courseRow(entry.id, entry.version, entry.document)),
  );
  const written = new Set(rows.map((row) => row.id));
  const kept = entries.filter((entry) => entry.document && written.has(entry.id));
  const removed = entries.filter((entry) => !entry.document && written.has(entry.id)).map((entry) => entry.id);
  if (kept.length > 0) {
    await client.query(
      'INSERT INTO search_course_document (id, document) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document',
      [kept.map((entry) => entry.id), kept.map((entry) => JSON.stringify(entry.document))],
    );
  }
  if (removed.length > 0) await client.query('DELETE FROM search_course_document WHERE id = ANY($1)', [removed]);
  return written.size;
}

const COUNT = 'SELECT count(*) AS n FROM search_course WHERE live = 1';

/** Rows per INSERT while rebuilding. */
const REBUILD_BATCH = 500;

/** PostgreSQL full text search over GIN indexes, in the database `SEARCH_DATABASE_URL` names. */
export class PostgresSearchIndex implements SearchIndex {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresSearchIndex> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    // An idle connection the server drops (a restart, a failover) must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
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
      await client.query(
        'DROP TABLE IF EXISTS search_course_document, search_course, search_facet; DROP FUNCTION IF EXISTS search_facet_count()',
      );
      await client.query(SCHEMA);
      await client.query('DELETE FROM search_schema');
      await client.query('INSERT INTO search_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    });
  }

  async search(query: CourseSearchQuery): Promise<CourseSearchResult> {
    // One snapshot, so the facets, the page and its documents agree.
    return transaction(
      this.pool,
      async (client) => {
        // The planner does not count the cost of reading each row's out-of-line vector: for a
        // broad match it picks a scan that checks every row's vector (750 ms on 100,000 courses)
        // over the GIN bitmap that needs none (50 ms). The penalty this puts on scans in turn
        // crosses JIT's threshold, and compiling costs over 100 ms for a query that runs in 1.
        await client.query('SET LOCAL enable_seqscan = off; SET LOCAL jit = off');
        return runSearch(this.store(client), query);
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  private store(client: pg.ClientBase): SearchStore<string> {
    const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) =>
      (await client.query<T>(sql, params)).rows;
    return {
      cube: (terms) =>
        terms
          ? rows<CubeRow>(
              'SELECT st, max(st_name) AS st_name, max(mt) AS mt, max(mt_name) AS mt_name, grade, charge, count(*) AS n ' +
                'FROM search_course d, CAST($1 AS tsquery) q WHERE d.search @@ q AND d.live = 1 GROUP BY st, grade, charge',
              [tsqueryLiteral(terms)],
            )
          : rows<CubeRow>(
              'SELECT st, st_name, mt, mt_name, grade, charge, courses AS n FROM search_facet WHERE courses > 0',
              [],
            ),
      page: async (query, terms, total) => {
        const params: unknown[] = terms ? [tsqueryLiteral(terms)] : [];
        const bind = (value: unknown) => `$${params.push(value)}`;
        const filters = FILTERS.filter((name) => query[name] !== undefined).map(
          (name) => ` AND d.${name} = ${bind(query[name])}`,
        );
        const from = (condition: string) =>
          `FROM search_course d${terms ? ', CAST($1 AS tsquery) q' : ''} WHERE ${condition} AND d.live = 1${filters.join('')}`;
        const ids = async (condition: string, order: string, limit: number, offset: number) =>
          (
            await rows<{ id: string }>(
              `SELECT d.id ${from(condition)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
              params,
            )
          ).map((row) => row.id);
        if (!terms || query.sort !== CourseSearchSort.RELEVANCE)
          return ids(terms ? 'd.search @@ q' : 'true', ORDER[query.sort], query.limit, query.offset);
        return tieredPage<string>(
          {
            tiers: TIERS.length,
            count: async (tier) =>
              Number((await rows<{ n: string }>(`SELECT count(*) AS n ${from(TIERS[tier])}`, params))[0].n),
            page: (tier, limit, offset) => ids(TIERS[tier], ORDER[CourseSearchSort.RELEVANCE], limit, offset),
          },
          query,
          total,
        );
      },
      documents: async (ids) => {
        const found = await rows<{ id: string; document: string }>(
          'SELECT id, document FROM search_course_document WHERE id = ANY($1)',
          [ids],
        );
        return new Map(found.map((row) => [row.id, row.document]));
      },
    };
  }

  async upsert(document: CourseDocument): Promise<WriteOutcome> {
    return (await transaction(this.pool, (client) =>
      write(client, [{ id: document.id, version: document.version, document }]),
    ))
      ? 'applied'
      : 'stale';
  }

  async remove(id: string, version: number): Promise<WriteOutcome> {
    return (await transaction(this.pool, (client) => write(client, [{ id, version }]))) ? 'applied' : 'stale';
  }

  /** Rebuilds in one transaction; searches see the old index until it commits. */
  async replaceAll(documents: AsyncIterable<CourseDocument> | Iterable<CourseDocument>): Promise<number> {
    return transaction(this.pool, async (client) => {
      await client.query('DELETE FROM search_course_document; DELETE FROM search_course; DELETE FROM search_facet');
      // Keyed by id, so a source repeating a course keeps its newest version, as upserts would.
      let batch = new Map<string, CourseDocument>();
      const flush = async () => {
        const entries = [...batch.values()].map((document) => ({
          id: document.id,
          version: document.version,
          document,
        }));
        batch = new Map();
        if (entries.length > 0) await write(client, entries);
      };
      for await (const document of documents) {
        const held = batch.get(document.id);
        if (!held || held.version <= document.version) batch.set(document.id, document);
        if (batch.size === REBUILD_BATCH) await flush();
      }
      await flush();
      // Fresh statistics, or the planner guesses at a table it has never seen filled.
      await client.query('ANALYZE search_course, search_course_document');
      const { rows } = await client.query<{ n: string }>(COUNT);
      return Number(rows[0].n);
    });
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(COUNT);
    return Number(rows[0].n);
  }

  async countOutside(idPrefix: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`${COUNT} AND left(id, $1) <> $2`, [
      idPrefix.length,
      idPrefix,
    ]);
    return Number(rows[0].n);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T> | T,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
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
