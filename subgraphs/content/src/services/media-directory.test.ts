import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@learnhub/platform/testing/service-process';
import { appError } from '@learnhub/platform/testing/app-error';
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

  test('asks with the caller\'s token, request id and the gateway secret, and returns the summary', async () => {
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
    await assert.rejects(new HttpMediaDirectory(url, undefined).find('x', caller), appError('INTERNAL', /refused the lookup: Sign in first/));
  });

  test('a media service that does not answer in time, or not at all, is a clear error', async () => {
    answer = () => 'hang';
    await assert.rejects(new HttpMediaDirectory(url, undefined, 200).find('x', caller), appError('INTERNAL', /did not answer/));
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    await assert.rejects(new HttpMediaDirectory(closed, undefined).find('x', caller), (error: unknown) => {
      appError('INTERNAL', /did not answer/)(error);
      assert.equal((error as { details: { reason: string } }).details.reason, 'MEDIA_UNREACHABLE');
      return true;
    });
  });
});
