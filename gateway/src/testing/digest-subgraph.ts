import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { GraphQLError, parse } from 'graphql';
import { GraphQLUpload, graphqlUploadExpress, type FileUpload } from 'graphql-upload-minimal';
import { requireGatewaySecret } from '@learnhub/platform/http';
import { closeServer, listen } from '@learnhub/platform/http';

/**
 * A small real subgraph for gateway tests and the upload benchmark: it digests uploaded files
 * as they stream in, echoes the headers it received, and serves `/files/*` with Range support.
 */
const digestTypeDefs = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  scalar Upload

  type Digest {
    filename: String!
    label: String
    md5: String!
    size: Int!
  }

  type ReceivedHeaders {
    authorization: String
    requestId: String
    gatewaySecret: String
  }

  type Query {
    hello: String!
    receivedHeaders: ReceivedHeaders!
    nested: Nested!
  }

  "A self-referencing type so tests can build deep queries."
  type Nested {
    name: String!
    child: Nested!
  }

  input DigestInput {
    label: String
    files: [Upload!]!
  }

  type Mutation {
    digest(file: Upload!, label: String): Digest!
    digestInput(input: DigestInput!): [Digest!]!
  }
`;

/** The bytes served by `GET /files/<anything>`. */
export const FILE_BODY = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

export interface DigestSubgraph {
  /** The GraphQL endpoint, `http://127.0.0.1:<port>/graphql`. */
  url: string;
  port: number;
  /** Uploads whose stream broke before the end (e.g. the gateway aborted the request). */
  readonly brokenUploads: number;
  /** Bytes of uploads read so far, so a test can tell an upload reached the subgraph. */
  readonly receivedBytes: number;
  stop(): Promise<void>;
}

type DigestContext = { headers: IncomingHttpHeaders };

/** The label that makes `digest` refuse the upload without reading it, as a subgraph validating its input would. */
export const REFUSED_LABEL = 'refuse';

interface UploadCounts {
  brokenUploads: number;
  receivedBytes: number;
}

async function digest(upload: Promise<FileUpload>, label: string | null, counts: UploadCounts) {
  if (label === REFUSED_LABEL)
    throw new GraphQLError(`The label "${label}" is not accepted.`, { extensions: { code: 'BAD_USER_INPUT' } });
  const { filename, createReadStream } = await upload;
  const hash = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of createReadStream() as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      counts.receivedBytes += chunk.length;
    }
  } catch (error) {
    counts.brokenUploads++;
    throw error;
  }
  return { filename, label, md5: hash.digest('hex'), size };
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

/**
 * Starts the subgraph on 127.0.0.1; with `gatewaySecret` it refuses requests without it, as real
 * subgraphs do, and with `maxFiles` it refuses requests with more files with HTTP 413.
 */
export async function startDigestSubgraph(
  options: { port?: number; gatewaySecret?: string; maxFiles?: number } = {},
): Promise<DigestSubgraph> {
  const counts: UploadCounts = { brokenUploads: 0, receivedBytes: 0 };
  const nested = (): { name: string; child: () => unknown } => ({ name: 'level', child: nested });
  const schema = buildSubgraphSchema({
    typeDefs: parse(digestTypeDefs),
    resolvers: {
      Upload: GraphQLUpload,
      Query: {
        hello: () => 'world',
        receivedHeaders: (_: unknown, __: unknown, context: unknown) => {
          const { headers } = context as DigestContext;
          return {
            authorization: header(headers, 'authorization'),
            requestId: header(headers, 'x-request-id'),
            gatewaySecret: header(headers, 'x-gateway-secret'),
          };
        },
        nested,
      },
      Mutation: {
        digest: (_: unknown, args: { file: Promise<FileUpload>; label: string | null }) =>
          digest(args.file, args.label, counts),
        digestInput: async (
          _: unknown,
          { input }: { input: { label: string | null; files: Promise<FileUpload>[] } },
        ) => {
          const results = [];
          for (const file of input.files) results.push(await digest(file, input.label, counts));
          return results;
        },
      },
    },
  });

  const apollo = new ApolloServer<DigestContext>({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await apollo.start();
  const app = express();
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  if (options.gatewaySecret) app.use(['/graphql', '/files'], requireGatewaySecret(options.gatewaySecret));
  app.get('/files/*path', (req, res) => {
    res.set({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'",
    });
    // Like media's file route: a signature is checked (here: must be "good"); the query holds nothing else.
    const query = Object.keys(req.query);
    if (query.some((name) => name !== 'expires' && name !== 'signature'))
      return void res.status(400).json({ error: `unexpected query: ${query.join(',')}` });
    if (req.query.signature !== undefined && req.query.signature !== 'good')
      return void res.status(403).json({ error: 'bad signature' });
    res.set({ 'accept-ranges': 'bytes', etag: '"digest-file"', 'content-type': 'text/plain', 'x-internal': 'hidden' });
    res.set({
      'cache-control': 'private, max-age=60',
      vary: 'Accept-Encoding',
      'content-disposition': 'inline; filename="a.txt"',
    });
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!range) return void res.send(FILE_BODY);
    const [start, end] = [Number(range[1]), Number(range[2])];
    res
      .status(206)
      .set('content-range', `bytes ${start}-${end}/${FILE_BODY.length}`)
      .send(FILE_BODY.subarray(start, end + 1));
  });
  app.use(
    '/graphql',
    graphqlUploadExpress({ maxFileSize: Number.MAX_SAFE_INTEGER, maxFiles: options.maxFiles ?? 100 }),
    express.json(),
    expressMiddleware(apollo, { context: async ({ req }) => ({ headers: req.headers }) }),
  );

  const running = await listen(app, options.port ?? 0, '127.0.0.1', { bodyIdleMs: 30_000, jsonBodyMs: 10_000 });
  return {
    url: `http://127.0.0.1:${running.port}/graphql`,
    port: running.port,
    get brokenUploads() {
      return counts.brokenUploads;
    },
    get receivedBytes() {
      return counts.receivedBytes;
    },
    async stop() {
      const closing = closeServer(running.server);
      // Fetch's connection pool may hold a connection that never sent a request; a test need not wait for it.
      running.server.closeAllConnections();
      await closing;
      await apollo.stop();
    },
  };
}

/** Composes a one-subgraph supergraph from the digest subgraph's SDL; the gateway finds its URL by `name`. */
export function digestSupergraph(name: string): string {
  const result = composeServices([{ name, url: 'http://configured-by-the-gateway', typeDefs: parse(digestTypeDefs) }]);
  if (result.errors) throw new Error(`Composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
