import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@learnhub/platform/testing';
import { appError } from '@learnhub/platform/testing';
import { HttpMediaDirectory } from './media-directory';

const caller = { authorization: 'Bearer member-token', requestId: 'req-42' };

// A real HTTP server playing the media subgraph's part, so the client's own behaviour is checked.
describe('the media directory over HTTP', () => {
  let server: Server;
  let url: string;
  let seen: IncomingMessage | undefined;
  let answer: (id: string) => unknown;
  before(async () => {
    server = createServer((req, res) => {
      seen = req;
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const reply = answer(JSON.parse(body).variables.id);
        if (reply === 'hang') return;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("asks with the caller's token, request id and the gateway secret, and returns the summary", async () => {
    answer = (id) => ({ data: { media: { id, type: 'VIDEO', organisationId: 'org-1', fileName: 'a.mp4' } } });
    const found = await new HttpMediaDirectory(url, 'shared-secret').find('abc', caller);
    assert.deepEqual(found, { id: 'abc', type: 'VIDEO', organisationId: 'org-1', fileName: 'a.mp4' });
    assert.equal(seen?.headers.authorization, 'Bearer member-token');
    assert.equal(seen?.headers['x-request-id'], 'req-42');
    assert.equal(seen?.headers['x-gateway-secret'], 'shared-secret');
  });

  test('unknown media is undefined, not an error', async () => {
    answer = () => ({ data: { media: null } });
    assert.equal(await new HttpMediaDirectory(url, undefined).find('nope', caller), undefined);
  });

  test('media refusing the lookup is a clear error', async () => {
    answer = () => ({ errors: [{ message: 'Sign in first', extensions: { code: 'UNAUTHENTICATED' } }], data: null });
    await assert.rejects(
      new HttpMediaDirectory(url, undefined).find('x', caller),
      appError('INTERNAL', /refused the lookup: Sign in first/),
    );
  });

  test('a media service that does not answer in time, or not at all, is a clear error', async () => {
    answer = () => 'hang';
    await assert.rejects(
      new HttpMediaDirectory(url, undefined, 200).find('x', caller),
      appError('INTERNAL', /did not answer/),
    );
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    await assert.rejects(new HttpMediaDirectory(closed, undefined).find('x', caller), (error: unknown) => {
      appError('INTERNAL', /did not answer/)(error);
      assert.equal((error as { details: { reason: string } }).details.reason, 'MEDIA_UNREACHABLE');
      return true;
    });
  });
});

// The same stand-in for the routes the outbox and page rendering use: `_entities` and publications.
describe('the media directory over HTTP: descriptions and publications', () => {
  let server: Server;
  let origin: string;
  let seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: unknown } | undefined;
  let reply: { status: number; body: unknown } | 'hang';
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) };
        if (reply === 'hang') return;
        res.statusCode = reply.status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const publication = {
    courseId: '42',
    version: 3,
    organisationId: 'org-1',
    page: { bucket: 'mediafiles', key: 'course/42.html' },
    publicMediaIds: ['a'.repeat(32), 'b'.repeat(32)],
  };

  test('describe names the owning organisation in every representation, each id once', async () => {
    reply = {
      status: 200,
      body: {
        data: {
          _entities: [
            {
              id: 'a'.repeat(32),
              type: 'IMAGE',
              fileName: 'c.png',
              url: '/files/c',
              playable: true,
              posterUrl: null,
              durationSeconds: null,
              organisationId: 'org-1',
              transcodeState: 'NONE',
            },
            null,
          ],
        },
      },
    };
    const found = await new HttpMediaDirectory(`${origin}/graphql`, 'shared-secret').describe(
      ['a'.repeat(32), 'b'.repeat(32), 'a'.repeat(32)],
      'org-1',
      'req-7',
    );
    assert.deepEqual((seen!.body as { variables: unknown }).variables, {
      representations: [
        { __typename: 'Media', id: 'a'.repeat(32), organisationId: 'org-1' },
        { __typename: 'Media', id: 'b'.repeat(32), organisationId: 'org-1' },
      ],
    });
    assert.deepEqual([...found.keys()], ['a'.repeat(32)]);
  });

  test("publishCourseMedia puts the publication to media's origin with the gateway secret and returns the outcome", async () => {
    reply = { status: 200, body: { outcome: 'stale' } };
    const outcome = await new HttpMediaDirectory(`${origin}/graphql`, 'shared-secret').publishCourseMedia(
      publication,
      'req-8',
    );
    assert.equal(outcome, 'stale');
    assert.equal(seen?.method, 'PUT');
    assert.equal(seen?.url, '/publications/courses/42');
    assert.equal(seen?.headers['x-gateway-secret'], 'shared-secret');
    assert.equal(seen?.headers['x-request-id'], 'req-8');
    assert.match(String(seen?.headers['content-type']), /application\/json/);
    assert.deepEqual(seen?.body, {
      version: 3,
      organisationId: 'org-1',
      page: publication.page,
      publicMediaIds: publication.publicMediaIds,
    });
  });

  test('a refused publication, or an answer without an outcome, is a clear error', async () => {
    reply = { status: 403, body: { errors: [{ message: 'This service only answers the gateway' }] } };
    await assert.rejects(
      new HttpMediaDirectory(`${origin}/graphql`, undefined).publishCourseMedia(publication, 'r'),
      (error: unknown) => {
        appError(
          'INTERNAL',
          /refused the publication of course 42 \(HTTP 403\): This service only answers the gateway/,
        )(error);
        assert.equal((error as { details: { reason: string } }).details.reason, 'MEDIA_PUBLICATION_FAILED');
        return true;
      },
    );
    reply = { status: 200, body: { outcome: 'maybe' } };
    await assert.rejects(
      new HttpMediaDirectory(`${origin}/graphql`, undefined).publishCourseMedia(publication, 'r'),
      appError('INTERNAL', /refused the publication/),
    );
  });

  test('a media service that does not answer the publication in time is a clear error', async () => {
    reply = 'hang';
    await assert.rejects(
      new HttpMediaDirectory(`${origin}/graphql`, undefined, 200).publishCourseMedia(publication, 'r'),
      (error: unknown) => {
        appError('INTERNAL', /did not answer/)(error);
        assert.equal((error as { details: { reason: string } }).details.reason, 'MEDIA_UNREACHABLE');
        return true;
      },
    );
  });
});
