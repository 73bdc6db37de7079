import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CourseUse } from '../services/course-usage';

/** What the stand-in was asked: the path with its query, and the gateway secret header sent. */
export interface UsageRequest {
  url: string;
  secret?: string;
}

/**
 * A tiny HTTP server standing in for the content service's `GET /media-usage/<id>?organisationId=`:
 * content is another process, so media's tests talk to it over real HTTP. `uses` maps
 * `<mediaId> <organisationId>` to the courses to answer; `down` makes it answer 503.
 */
export async function startContentUsageStandIn(): Promise<{
  contentUrl: string;
  uses: Map<string, CourseUse[]>;
  requests: UsageRequest[];
  down: { value: boolean };
  close(): Promise<void>;
}> {
  const uses = new Map<string, CourseUse[]>();
  const requests: UsageRequest[] = [];
  const down = { value: false };
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const secret = req.headers['x-gateway-secret'];
    requests.push({ url: `${url.pathname}${url.search}`, secret: typeof secret === 'string' ? secret : undefined });
    const match = /^\/media-usage\/([^/]+)$/.exec(url.pathname);
    if (down.value || !match || req.method !== 'GET') {
      res.writeHead(down.value ? 503 : 404, { 'content-type': 'application/json' }).end('{"error":"no"}');
      return;
    }
    const courses = uses.get(`${decodeURIComponent(match[1])} ${url.searchParams.get('organisationId')}`) ?? [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ courses }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    contentUrl: `http://127.0.0.1:${port}/graphql`,
    uses,
    requests,
    down,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
