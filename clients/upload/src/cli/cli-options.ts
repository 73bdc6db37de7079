import { parseArgs } from 'node:util';
import type { TransportName } from '../transports/chunk-transport.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4000/graphql';

export const usage = `Usage: npm run --silent upload -- [options] <file>...

Uploads videos to your organisation's media library with the resumable chunked upload. Stopped
by Ctrl-C, a lost connection or a crash, the same command resumes where it stopped.

Options:
  --endpoint <url>     the GraphQL endpoint (default LEARNHUB_ENDPOINT, else ${DEFAULT_ENDPOINT})
  --token <token>      a member's bearer token (default LEARNHUB_TOKEN)
  --wait               after uploading, wait until each video is playable (transcoded when needed)
  --wait-timeout <s>   give up waiting after this many seconds (default 7200)
  --json               print one JSON result per file on stdout, nothing else
  --tags <text>        tags stored with each file
  --remark <text>      a remark stored with each file
  --concurrency <n>    chunks sent at once (default 4)
  --transport <name>   urls (default: chunk upload URLs) or multipart (chunks through GraphQL)
  --retries <n>        further attempts of a failed request (default 5)
  --state <file>       where unfinished uploads are remembered
                       (default LEARNHUB_UPLOAD_STATE, else ~/.local/state/learnhub/uploads.json)
  --discard            give up these files' unfinished uploads on the server instead of uploading
  --quiet              no progress output
  -h, --help           this help

Exit codes: 0 all uploaded; 1 a file was refused, or its transcoding failed; 2 wrong usage;
3 the server could not be reached (run again to resume); 130 interrupted (run again to resume).
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliOptions {
  files: string[];
  endpoint: string;
  token: string;
  wait: boolean;
  waitTimeoutMs: number;
  json: boolean;
  tags?: string;
  remark?: string;
  concurrency: number;
  transport: TransportName;
  retries: number;
  statePath?: string;
  discard: boolean;
  quiet: boolean;
  help: boolean;
}

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got "${value}".`);
  return number;
}

/** An endpoint given as the server alone (http://host:4000) means its /graphql. */
function endpointOf(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`The endpoint "${value}" is not a URL such as ${DEFAULT_ENDPOINT}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`The endpoint "${value}" must be an http or https URL.`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}

export function parseCliOptions(args: string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        endpoint: { type: 'string' },
        token: { type: 'string' },
        wait: { type: 'boolean', default: false },
        'wait-timeout': { type: 'string' },
        json: { type: 'boolean', default: false },
        tags: { type: 'string' },
        remark: { type: 'string' },
        concurrency: { type: 'string' },
        transport: { type: 'string' },
        retries: { type: 'string' },
        state: { type: 'string' },
        discard: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help;
  if (!help && positionals.length === 0) throw new UsageError('Name at least one file to upload.');
  const token = values.token ?? env.LEARNHUB_TOKEN ?? '';
  if (!help && !token)
    throw new UsageError(
      'No token: pass --token or set LEARNHUB_TOKEN (in development: LEARNHUB_TOKEN=$(npm run --silent token -- --role member --org <org> --user <you>)).',
    );
  const transport = values.transport ?? 'urls';
  if (transport !== 'urls' && transport !== 'multipart')
    throw new UsageError(`--transport must be urls or multipart; got "${transport}".`);
  return {
    files: positionals,
    endpoint: endpointOf(values.endpoint ?? env.LEARNHUB_ENDPOINT ?? DEFAULT_ENDPOINT),
    token,
    wait: values.wait,
    waitTimeoutMs: wholeNumber('wait-timeout', values['wait-timeout'], 7200, 1, 7 * 24 * 3600) * 1000,
    json: values.json,
    tags: values.tags,
    remark: values.remark,
    concurrency: wholeNumber('concurrency', values.concurrency, 4, 1, 64),
    transport,
    retries: wholeNumber('retries', values.retries, 5, 0, 100),
    statePath: values.state,
    discard: values.discard,
    quiet: values.quiet,
    help,
  };
}
