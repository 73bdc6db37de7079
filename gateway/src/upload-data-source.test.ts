import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@learnhub/platform/testing';
import { REFUSED_LABEL } from './testing/digest-subgraph';
import {
  postGraphQL,
  postMultipart,
  startGatewayFixture,
  type GatewayFixture,
  type GraphQLResult,
} from './testing/gateway-fixture';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
const MiB = 1024 * 1024;

const BOUNDARY = 'test-boundary';

/** A hand-written multipart request up to the start of file `0`'s bytes, for `query` with one Upload variable `$f`. */
function multipartPrelude(query: string): string {
  const field = (name: string, value: unknown) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${JSON.stringify(value)}\r\n`;
  return (
    field('operations', { query, variables: { f: null } }) +
    field('map', { 0: ['variables.f'] }) +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
  );
}

describe('uploads through the gateway', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await startGatewayFixture({ UPLOAD_MAX_BYTES: String(16 * MiB), UPLOAD_MAX_FILES: '3' });
  });
  after(() => fixture.stop());

  test('an 8 MiB file reaches the subgraph byte for byte', async () => {
    const bytes = randomBytes(8 * MiB);
    const result = await postMultipart(
      fixture.graphql,
      {
        query: 'mutation ($file: Upload!) { digest(file: $file, label: "big") { filename label md5 size } }',
        variables: { file: null },
      },
      [{ blob: new Blob([bytes]), filename: 'big.bin', paths: ['variables.file'] }],
    );
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.body.data, {
      digest: { filename: 'big.bin', label: 'big', md5: md5(bytes), size: bytes.length },
    });
  });

  test('two files in one request each arrive intact', async () => {
    const first = randomBytes(300_000);
    const second = randomBytes(700_001);
    const result = await postMultipart(
      fixture.graphql,
      {
        query:
          'mutation ($a: Upload!, $b: Upload!) { a: digest(file: $a) { filename md5 size } b: digest(file: $b) { filename md5 size } }',
        variables: { a: null, b: null },
      },
      [
        { blob: new Blob([first]), filename: 'first.bin', paths: ['variables.a'] },
        { blob: new Blob([second]), filename: '第二-ü.bin', paths: ['variables.b'] },
      ],
    );
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.body.data, {
      a: { filename: 'first.bin', md5: md5(first), size: first.length },
      b: { filename: '第二-ü.bin', md5: md5(second), size: second.length },
    });
  });

  test('uploads nested in an input object and a list arrive intact', async () => {
    const files = [randomBytes(1000), randomBytes(200_000)];
    const result = await postMultipart(
      fixture.graphql,
      {
        query: 'mutation ($input: DigestInput!) { digestInput(input: $input) { label md5 size } }',
        variables: { input: { label: 'nested', files: [null, null] } },
      },
      files.map((bytes, index) => ({
        blob: new Blob([bytes]),
        filename: `${index}.bin`,
        paths: [`variables.input.files.${index}`],
      })),
    );
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(
      result.body.data?.digestInput,
      files.map((bytes) => ({ label: 'nested', md5: md5(bytes), size: bytes.length })),
    );
  });

  test('a file over the upload limit is refused with PAYLOAD_TOO_LARGE (413) and the subgraph upload is aborted', async () => {
    const brokenBefore = fixture.subgraph.brokenUploads;
    const result = await postMultipart(
      fixture.graphql,
      { query: 'mutation ($file: Upload!) { digest(file: $file) { md5 } }', variables: { file: null } },
      [{ blob: new Blob([randomBytes(16 * MiB + 1)]), filename: 'huge.bin', paths: ['variables.file'] }],
    );
    assert.equal(result.status, 413);
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'PAYLOAD_TOO_LARGE');
    assert.match(
      result.body.errors?.[0]?.message ?? '',
      /"huge\.bin" is larger than the upload limit of 16777216 bytes/,
    );
    await waitUntil('the subgraph upload to break off', () => fixture.subgraph.brokenUploads > brokenBefore, 5_000);
    assert.equal(fixture.subgraph.brokenUploads, brokenBefore + 1);
  });

  test('more files than allowed are refused with PAYLOAD_TOO_LARGE (413)', async () => {
    const file = (index: number) => ({
      blob: new Blob(['x']),
      filename: `${index}.txt`,
      paths: [`variables.input.files.${index}`],
    });
    const result = await postMultipart(
      fixture.graphql,
      {
        query: 'mutation ($input: DigestInput!) { digestInput(input: $input) { md5 } }',
        variables: { input: { files: [null, null, null, null] } },
      },
      [0, 1, 2, 3].map(file),
    );
    assert.equal(result.status, 413);
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'PAYLOAD_TOO_LARGE');
  });

  test('a file named in the map but missing from the request is refused with BAD_USER_INPUT', async () => {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({ query: 'mutation ($file: Upload!) { digest(file: $file) { md5 } }', variables: { file: null } }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    const response = await fetch(fixture.graphql, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true' },
      body: form,
    });
    const body = (await response.json()) as GraphQLResult['body'];
    assert.equal(response.status, 400);
    assert.deepEqual(
      body.errors?.map((error) => [error.message, error.extensions?.code]),
      [['File missing in the request.', 'BAD_USER_INPUT']],
    );
  });

  test('a multipart request without the preflight header is refused (CSRF prevention)', async () => {
    const result = await postMultipart(
      fixture.graphql,
      { query: 'mutation ($file: Upload!) { digest(file: $file) { md5 } }', variables: { file: null } },
      [{ blob: new Blob([randomBytes(4 * MiB)]), filename: 'a.bin', paths: ['variables.file'] }],
      {},
    );
    assert.equal(result.status, 400);
    assert.equal(result.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  test('an upload refused before its file is read (bad token) is answered at once, and the rest of its body is still read', async () => {
    const client = request(fixture.graphql, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'apollo-require-preflight': 'true',
        authorization: 'Bearer not-a-jwt',
      },
    });
    client.write(multipartPrelude('mutation ($f: Upload!) { digest(file: $f) { md5 } }'));
    const [response] = (await once(client, 'response')) as [IncomingMessage];
    assert.equal(response.statusCode, 401);
    assert.equal(
      (JSON.parse(await text(response)) as GraphQLResult['body']).errors?.[0]?.extensions?.code,
      'UNAUTHENTICATED',
    );
    // Sent after the answer: more than socket buffers hold, so it only goes through if the gateway keeps reading.
    client.end(Buffer.concat([randomBytes(32 * MiB), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    await Promise.race([
      once(client, 'finish'),
      sleep(10_000).then(() => assert.fail('the gateway stopped reading the request body')),
    ]);
    assert.deepEqual((await postGraphQL(fixture.graphql, { query: '{ hello }' })).body, { data: { hello: 'world' } });
  });

  test('a client that disconnects mid-upload aborts the subgraph upload too', async () => {
    const brokenBefore = fixture.subgraph.brokenUploads;
    const client = request(fixture.graphql, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'apollo-require-preflight': 'true' },
    });
    client.on('error', () => {});
    client.write(multipartPrelude('mutation ($f: Upload!) { digest(file: $f) { md5 } }'));
    const receivedBefore = fixture.subgraph.receivedBytes;
    client.write(randomBytes(MiB));
    await waitUntil('the upload to reach the subgraph', () => fixture.subgraph.receivedBytes > receivedBefore, 5_000);
    client.destroy();
    await waitUntil('the subgraph upload to break off', () => fixture.subgraph.brokenUploads > brokenBefore, 5_000);
    assert.equal(fixture.subgraph.brokenUploads, brokenBefore + 1);
  });

  test("the subgraph's own errors pass through, even when it answers without reading the file", async () => {
    const result = await postMultipart(
      fixture.graphql,
      {
        query: 'mutation ($file: Upload!, $label: String) { digest(file: $file, label: $label) { md5 } }',
        variables: { file: null, label: REFUSED_LABEL },
      },
      [{ blob: new Blob([randomBytes(4 * MiB)]), filename: 'a.bin', paths: ['variables.file'] }],
    );
    assert.equal(result.status, 200);
    assert.deepEqual(
      result.body.errors?.map((error) => [error.message, error.extensions?.code]),
      [[`The label "${REFUSED_LABEL}" is not accepted.`, 'BAD_USER_INPUT']],
    );
  });

  test('requests without uploads go through as plain JSON', async () => {
    const result = await postGraphQL(fixture.graphql, { query: '{ hello }' });
    assert.deepEqual(result.body, { data: { hello: 'world' } });
  });
});

describe('uploads when the subgraph fails', () => {
  const digestFiles = (fixture: GatewayFixture, count: number) =>
    postMultipart(
      fixture.graphql,
      {
        query: 'mutation ($input: DigestInput!) { digestInput(input: $input) { md5 } }',
        variables: { input: { files: Array(count).fill(null) } },
      },
      Array.from({ length: count }, (_, index) => ({
        blob: new Blob(['x']),
        filename: `${index}.txt`,
        paths: [`variables.input.files.${index}`],
      })),
    );

  test("a subgraph's own HTTP 413 comes out as PAYLOAD_TOO_LARGE", async () => {
    const fixture = await startGatewayFixture({ UPLOAD_MAX_FILES: '5' }, 1);
    try {
      const result = await digestFiles(fixture, 2);
      assert.deepEqual(
        result.body.errors?.map((error) => error.extensions?.code),
        ['PAYLOAD_TOO_LARGE'],
      );
      assert.match(result.body.errors?.[0]?.message ?? '', /refused the upload as too large/);
    } finally {
      await fixture.stop();
    }
  });

  test('an unreachable subgraph comes out as an INTERNAL error, not a hang', async () => {
    const fixture = await startGatewayFixture();
    try {
      await fixture.subgraph.stop();
      const result = await digestFiles(fixture, 1);
      assert.deepEqual(
        result.body.errors?.map((error) => error.extensions?.code),
        ['INTERNAL'],
      );
      const metrics = await (await fetch(`${fixture.origin}/metrics`)).text();
      assert.match(metrics, /graphql_errors_total\{code="INTERNAL",service="gateway"\} 1/);
    } finally {
      await fixture.gateway.stop();
    }
  });
});
