import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { postGraphQL, startGatewayFixture, type GatewayFixture, type GraphQLResult } from './testing/gateway-fixture';

const BOUNDARY = 'XX';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const DIGEST = 'mutation ($f: Upload!) { digest(file: $f) { filename size } }';

/** A hand-written part: its raw header lines, then its body. */
const part = (headers: string, body: string) => `--${BOUNDARY}\r\n${headers}\r\n\r\n${body}\r\n`;
const field = (name: string, value: unknown) =>
  part(`Content-Disposition: form-data; name="${name}"`, JSON.stringify(value));
const operations = (query: string, variables: object = {}) => field('operations', { query, variables });
const digestPrelude = operations(DIGEST, { f: null }) + field('map', { 0: ['variables.f'] });

interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: GraphQLResult['body'];
}

/**
 * Sends `body` as written (no client-side encoding or checks) and reads the answer; `end: false`
 * stops sending without ending the request, `destroy` then drops the connection.
 */
async function sendRaw(url: string, headers: Record<string, string>, body: string | Buffer): Promise<RawAnswer> {
  const client = request(url, {
    method: 'POST',
    headers: { 'apollo-require-preflight': 'true', ...headers },
    signal: AbortSignal.timeout(10_000),
  });
  client.end(body);
  const [response] = (await once(client, 'response')) as [IncomingMessage];
  const raw = await text(response);
  let parsed: GraphQLResult['body'];
  try {
    parsed = JSON.parse(raw) as GraphQLResult['body'];
  } catch {
    assert.fail(`not JSON (status ${response.statusCode}): ${raw.slice(0, 200)}`);
  }
  return { status: response.statusCode ?? 0, headers: response.headers, body: parsed };
}

function assertRefused(answer: RawAnswer, code: string, reason?: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `status ${answer.status}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.errors?.length, 1, JSON.stringify(answer.body));
  const [error] = answer.body.errors!;
  assert.equal(error.extensions?.code, code, JSON.stringify(error));
  if (reason) assert.equal(error.extensions?.reason, reason, JSON.stringify(error));
  assert.ok(error.message.length > 0);
}

describe('hostile requests to the gateway', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture();
  });
  after(() => fixture?.stop());

  async function assertStillServing(): Promise<void> {
    assert.deepEqual((await postGraphQL(fixture.graphql, { query: '{ hello }' })).body, { data: { hello: 'world' } });
  }

  const brokenParts: [string, string][] = [
    ['a header line without a colon', part('broken header line', 'x')],
    ['a NUL in a filename', part('Content-Disposition: form-data; name="0"; filename="a\u0000b.txt"', 'x')],
    ['a CR in a field name', part('Content-Disposition: form-data; name="a\rb"; filename="a.txt"', 'x')],
    [
      'a \\x01 in a part Content-Type',
      part('Content-Disposition: form-data; name="0"; filename="a.txt"\r\nContent-Type: text/pl\u0001ain', 'x'),
    ],
    [
      'a 20 KB header line',
      part(`Content-Disposition: form-data; name="0"; filename="${'a'.repeat(20 * 1024)}.txt"`, 'x'),
    ],
  ];
  for (const [what, broken] of brokenParts) {
    test(`a part header with ${what} is refused 400 MALFORMED_MULTIPART, and the gateway keeps serving`, async () => {
      const body = operations('{ __typename }') + field('map', {}) + broken + `--${BOUNDARY}--\r\n`;
      const answer = await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, body);
      assert.equal(answer.status, 400);
      assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_MULTIPART');
      await assertStillServing();
    });
  }

  test('the same broken part where a file is expected is refused 400 MALFORMED_MULTIPART', async () => {
    const answer = await sendRaw(
      fixture.graphql,
      { 'content-type': MULTIPART },
      digestPrelude + part('broken header line', 'x') + `--${BOUNDARY}--\r\n`,
    );
    assert.equal(answer.status, 400);
    assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_MULTIPART');
    await assertStillServing();
  });

  test('an empty multipart body is refused 400 MALFORMED_MULTIPART', async () => {
    assertRefused(
      await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, ''),
      'BAD_USER_INPUT',
      'MALFORMED_MULTIPART',
    );
    assertRefused(
      await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, `--${BOUNDARY}--\r\n`),
      'BAD_USER_INPUT',
      'MALFORMED_MULTIPART',
    );
  });

  test('a body that ends without its closing boundary is refused 400 MALFORMED_MULTIPART', async () => {
    const answer = await sendRaw(
      fixture.graphql,
      { 'content-type': MULTIPART },
      operations('{ __typename }') + field('map', {}),
    );
    assert.equal(answer.status, 400);
    assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_MULTIPART');
  });

  test('a body that stops in the middle of a file is refused 400 MALFORMED_MULTIPART', async () => {
    const filePart = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const answer = await sendRaw(
      fixture.graphql,
      { 'content-type': MULTIPART },
      digestPrelude + filePart + 'x'.repeat(100_000),
    );
    assert.equal(answer.status, 400);
    assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_MULTIPART');
    await assertStillServing();
  });

  test('a client that drops the connection mid-part does not take the gateway down', async () => {
    for (const cut of [
      `--${BOUNDARY}\r\nContent-Disposition: form-da`,
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="f.bin"\r\n\r\nsome bytes`,
    ]) {
      const client = request(fixture.graphql, {
        method: 'POST',
        headers: { 'content-type': MULTIPART, 'apollo-require-preflight': 'true' },
      });
      client.on('error', () => undefined);
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.write(digestPrelude + cut);
      // A round trip on another connection, so the gateway has most likely read the cut part by now.
      await assertStillServing();
      client.destroy();
      await closed;
      await assertStillServing();
    }
  });

  for (const contentType of [
    'multipart/form-data',
    'multipart/form-data; charset=utf-8',
    'multipart/form-data; boundary=',
  ]) {
    test(`a multipart request without a boundary (${contentType}) is refused 400`, async () => {
      const answer = await sendRaw(fixture.graphql, { 'content-type': contentType }, digestPrelude);
      assert.equal(answer.status, 400);
      assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_MULTIPART');
    });
  }

  test('operations or map that are not JSON are refused 400', async () => {
    const badOperations =
      part('Content-Disposition: form-data; name="operations"', '{"query":') + field('map', {}) + `--${BOUNDARY}--\r\n`;
    assertRefused(
      await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, badOperations),
      'BAD_USER_INPUT',
      'MALFORMED_MULTIPART',
    );
    const badMap =
      operations(DIGEST, { f: null }) +
      part('Content-Disposition: form-data; name="map"', '{0:') +
      `--${BOUNDARY}--\r\n`;
    assertRefused(
      await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, badMap),
      'BAD_USER_INPUT',
      'MALFORMED_MULTIPART',
    );
  });

  test('files no upload hands out (placed nowhere, overwritten, sent twice) are drained, not left hanging', async () => {
    const body =
      operations(DIGEST, { f: null }) + field('map', { 0: [] }) + file('filename="a.txt"') + `--${BOUNDARY}--\r\n`;
    const answer = await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, body);
    assertRefused(answer, 'BAD_USER_INPUT');
    const beside = digestPrelude + file('filename="b.txt"');
    const withUnplaced = operations(DIGEST, { f: null }) + field('map', { 0: ['variables.f'], 1: [] });
    const both =
      withUnplaced +
      file('filename="b.txt"').replace('name="0"', 'name="1"') +
      beside.slice(digestPrelude.length) +
      `--${BOUNDARY}--\r\n`;
    const placed = await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, both);
    assert.deepEqual(placed.body, { data: { digest: { filename: 'b.txt', size: 5 } } });

    // Entry 1 overwrites entry 0's place, and only file 0 is sent: file 0 is read by nobody.
    const overwritten =
      operations(DIGEST, { f: null }) +
      field('map', { 0: ['variables.f'], 1: ['variables.f'] }) +
      file('filename="a.txt"') +
      `--${BOUNDARY}--\r\n`;
    assertRefused(await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, overwritten), 'BAD_USER_INPUT');
    // The same field twice: the first file is the upload, the second is read by nobody.
    const twice = digestPrelude + file('filename="first.txt"') + file('filename="second.txt"') + `--${BOUNDARY}--\r\n`;
    assert.deepEqual((await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, twice)).body, {
      data: { digest: { filename: 'first.txt', size: 5 } },
    });
  });

  test('a body that ends before its Content-Length (the client half-closes) gets a coded JSON 400', async () => {
    const body = Buffer.from(digestPrelude + file('filename="a.txt"') + `--${BOUNDARY}--\r\n`);
    const socket = connect({ host: '127.0.0.1', port: fixture.gateway.port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.end(
      `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${MULTIPART}\r\napollo-require-preflight: true\r\n` +
        `content-length: ${body.length}\r\n\r\n${body.subarray(0, body.length / 2).toString('latin1')}`,
    );
    await Promise.race([
      closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the gateway never closed the connection')), 10_000),
      ),
    ]);
    const answer = Buffer.concat(received).toString();
    assert.match(answer, /^HTTP\/1\.1 4\d\d /);
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as GraphQLResult['body'];
    assert.equal(json.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', answer);
    await assertStillServing();
  });

  test('operations nested deeper than the stack are refused, not a crash', async () => {
    const deep = `{"query":"{ __typename }","variables":{"v":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    const body =
      part('Content-Disposition: form-data; name="operations"', deep) + field('map', {}) + `--${BOUNDARY}--\r\n`;
    const answer = await sendRaw(fixture.graphql, { 'content-type': MULTIPART }, body);
    assert.ok(
      answer.status >= 400 && answer.status < 500,
      `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
    );
    await assertStillServing();
  });

  test('a JSON body that is not JSON is refused 400 MALFORMED_JSON', async () => {
    for (const body of ['{"query": "{ hello }"', 'not json', '\u0000']) {
      const answer = await sendRaw(fixture.graphql, { 'content-type': 'application/json' }, body);
      assert.equal(answer.status, 400);
      assertRefused(answer, 'BAD_USER_INPUT', 'MALFORMED_JSON');
    }
  });

  const file = (disposition: string) =>
    part(`Content-Disposition: form-data; name="0"; ${disposition}\r\nContent-Type: text/plain`, 'hello');

  test('file names are cleaned before they are forwarded: control characters and path parts go', async () => {
    const cases: [string, string][] = [
      [`filename*=UTF-8''a%00b.txt`, 'ab.txt'],
      [`filename*=UTF-8''line%0D%0Abreak%7F.txt`, 'linebreak.txt'],
      [`filename="../../etc/passwd"`, 'passwd'],
      [`filename="C:\\\\Users\\\\me\\\\notes.txt"`, 'notes.txt'],
      [`filename*=UTF-8''%E7%AC%AC%E4%B8%80.txt`, '第一.txt'],
    ];
    for (const [disposition, expected] of cases) {
      const answer = await sendRaw(
        fixture.graphql,
        { 'content-type': MULTIPART },
        digestPrelude + file(disposition) + `--${BOUNDARY}--\r\n`,
      );
      assert.equal(answer.status, 200, `${disposition}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(answer.body.data, { digest: { filename: expected, size: 5 } }, disposition);
    }
  });

  test('a file name with nothing usable left is refused 400 BAD_USER_INPUT naming the file', async () => {
    for (const [disposition, shown] of [
      ['filename=".."', 'File "0": The file has no name'],
      ['filename="."', 'File "0": The file has no name'],
      ['filename="a/.."', 'File "0": The file has no name'],
      ["filename*=UTF-8''%01%7F", 'File "0": The file name "\\u0001\\u007f" leaves no usable name'],
      ['filename="  "', 'File "0": The file name "  " leaves no usable name'],
    ]) {
      const answer = await sendRaw(
        fixture.graphql,
        { 'content-type': MULTIPART },
        digestPrelude + file(disposition) + `--${BOUNDARY}--\r\n`,
      );
      assert.equal(answer.status, 400, `${disposition}: ${JSON.stringify(answer.body)}`);
      assertRefused(answer, 'BAD_USER_INPUT', 'INVALID_FILE_NAME');
      assert.ok(answer.body.errors![0].message.includes(shown), answer.body.errors![0].message);
    }
    const tooLong = await sendRaw(
      fixture.graphql,
      { 'content-type': MULTIPART },
      digestPrelude + file(`filename="${'x'.repeat(256)}"`) + `--${BOUNDARY}--\r\n`,
    );
    assertRefused(tooLong, 'BAD_USER_INPUT', 'INVALID_FILE_NAME');
    await assertStillServing();
  });

  test('requests Apollo refuses with a 4xx of its own are BAD_USER_INPUT, not INTERNAL', async () => {
    const cases: [object, number][] = [
      [{ query: '{ hello }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }, 400],
      [{ query: 'query A { hello } query B { hello }' }, 400],
      [{ query: 'query A { hello }', operationName: 'B' }, 400],
      [{ query: 'subscription S { hello }' }, 400],
      [{ query: '{ hello }', variables: 'x' }, 400],
    ];
    for (const [body, status] of cases) {
      const answer = await sendRaw(fixture.graphql, { 'content-type': 'application/json' }, JSON.stringify(body));
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assertRefused(answer, 'BAD_USER_INPUT');
    }
  });
});
