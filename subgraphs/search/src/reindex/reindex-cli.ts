import { parseArgs } from 'node:util';
import { config, ConfigError } from '@learnhub/platform/config';
import { badInput, isAppError } from '@learnhub/platform/errors';
import { HttpMediaDirectory } from '@learnhub/media/client';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { openSearchIndex, searchIndexKind } from '../index/open-search-index';
import { jsonFileCourses } from './course-source';
import { GENERATED_ID_PREFIX, generatedCourses } from './generated-courses';
import { publishedCourses } from './published-course-source';

const usage = `Usage: npm run reindex -- (--from-content | --from FILE | --generated N [--seed S] [--replace]) [--index URL] [--allow-empty]

Replaces the whole search index with the given published courses, in one transaction: searches
see the old index until the new one is complete, and a bad document leaves the old one in place.
  --from-content  the courses published now, from content's published records
               (CONTENT_DATABASE_URL; cover URLs from the media service at MEDIA_URL)
  --from       a JSON array of course documents, or one document per line (NDJSON)
  --generated  N generated Chinese courses (the test fixture), to explore search with; their ids
               start with "generated-" (never a real course's) and covers use PUBLIC_URL
  --replace    let --generated replace an index holding real published courses
  --seed       the generator's seed (default 1)
  --index      the index to rebuild (default SEARCH_DATABASE_URL, else the embedded index in DATA_DIR)
  --allow-empty  let a source with no courses empty the index (refused otherwise: it is more
               often a wrong file than a site with nothing published)
`;

interface Rebuild {
  courses: AsyncIterable<CourseDocument> | Iterable<CourseDocument>;
  index: string;
  allowEmpty: boolean;
  /** Refuse when the index holds real published courses (--generated without --replace). */
  keepReal: boolean;
}

function source(args: string[]): Rebuild | string {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'from-content': { type: 'boolean', default: false },
        from: { type: 'string' },
        generated: { type: 'string' },
        seed: { type: 'string', default: '1' },
        index: { type: 'string' },
        'allow-empty': { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return (error as Error).message;
  }
  const index = values.index ?? config().search.indexUrl;
  const allowEmpty = values['allow-empty'];
  try {
    searchIndexKind(index, '--index');
  } catch (error) {
    if (!isAppError(error)) throw error;
    return error.message;
  }
  if (
    [values['from-content'], values.from !== undefined, values.generated !== undefined].filter(Boolean).length !== 1
  ) {
    return 'Give exactly one of --from-content, --from FILE or --generated N.';
  }
  if (values['from-content']) {
    const settings = config();
    return {
      courses: publishedCourses(
        settings.content.databaseUrl,
        new HttpMediaDirectory(settings.gateway.mediaUrl, settings.gatewaySecret),
        settings.gateway.mediaUrl,
      ),
      index,
      allowEmpty,
      keepReal: false,
    };
  }
  if (values.from !== undefined) return { courses: jsonFileCourses(values.from), index, allowEmpty, keepReal: false };
  if (!/^\d{1,7}$/.test(values.generated!))
    return `--generated "${values.generated}" must be a whole number up to 9999999.`;
  if (!/^\d{1,10}$/.test(values.seed) || Number(values.seed) > 0xffffffff)
    return `--seed "${values.seed}" must be a whole number from 0 to 4294967295.`;
  return {
    courses: generatedCourses(Number(values.generated), Number(values.seed), config().gateway.publicUrl),
    index,
    allowEmpty,
    keepReal: !values.replace,
  };
}

/** The courses, failing (so the rebuild rolls back) when there are none and that was not allowed. */
async function* nonEmpty(
  courses: AsyncIterable<CourseDocument> | Iterable<CourseDocument>,
  allowEmpty: boolean,
): AsyncGenerator<CourseDocument> {
  let any = false;
  for await (const course of courses) {
    any = true;
    yield course;
  }
  if (!any && !allowEmpty)
    throw badInput('The source holds no courses; pass --allow-empty if emptying the index is what you want.');
}

async function main(args: string[]): Promise<number> {
  let chosen: Rebuild | string;
  try {
    chosen = source(args);
  } catch (error) {
    // A bad setting (a gateway-secret file others may read, say) is the user's to fix: one line saying what, no stack trace.
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`reindex: ${error.message}\n`);
    return 1;
  }
  if (typeof chosen === 'string') {
    process.stderr.write(`reindex: ${chosen}\n\n${usage}`);
    return 2;
  }
  let index;
  try {
    index = await openSearchIndex(chosen.index);
  } catch (error) {
    process.stderr.write(`reindex: cannot open the index ${chosen.index}: ${(error as Error).message}\n`);
    return 1;
  }
  const started = performance.now();
  try {
    const real = chosen.keepReal ? await index.countOutside(GENERATED_ID_PREFIX) : 0;
    if (real > 0) {
      process.stderr.write(
        `reindex: nothing changed. The index ${chosen.index} holds ${real} real published courses that --generated would replace; pass --replace if that is what you want.\n`,
      );
      return 1;
    }
    const count = await index.replaceAll(nonEmpty(chosen.courses, chosen.allowEmpty));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `reindex: the ${searchIndexKind(chosen.index)} index now holds ${count} published courses (rebuilt in ${seconds} s).\n`,
    );
    return 0;
  } catch (error) {
    const message =
      isAppError(error) || (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? (error as Error).message
        : String((error as Error).stack ?? error);
    process.stderr.write(`reindex: nothing changed, the index is as it was. ${message}\n`);
    return 1;
  } finally {
    await index.close();
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
