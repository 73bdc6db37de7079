import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { backendUrl } from '../testing/backends.js';
import { runBucketPrefix, startS3rverStore } from '../testing/s3rver-store.js';
import { objectStoreContract } from './object-store.contract.js';
import { StoreSilentError } from './idle-limited-transport.js';
import { S3ObjectStore, s3Client, type S3ObjectStoreOptions } from './s3-object-store.js';

objectStoreContract('s3 protocol on s3rver', async () => {
  const { store, close } = await startS3rverStore();
  return {
    store,
    // s3rver answers AbortMultipartUpload with MethodNotAllowed, assembles parts without comparing
    // their ETags, and writes a body and then its MD5 into the final files in place.
    capabilities: {
      abortMultipart: false,
      checksPartEtags: false,
      atomicOverwrite: false,
      listsMultipart: false,
      servesUrls: true,
    },
    close,
  };
});

const endpoint = backendUrl('s3', 'object store contract');
if (endpoint) {
  objectStoreContract(`s3 at ${endpoint}`, async () => {
    const options: S3ObjectStoreOptions = {
      endpoint,
      accessKey: process.env.S3_ACCESS_KEY ?? '',
      secretKey: process.env.S3_SECRET_KEY ?? '',
      region: process.env.S3_REGION ?? 'us-east-1',
      bucketPrefix: runBucketPrefix(),
    };
    const store = new S3ObjectStore(options);
    return {
      store,
      capabilities: { servesUrls: true },
      close: async () => {
        // The contract has emptied them; buckets are outside the port, so remove them directly.
        const client = s3Client(options);
        for (const { name } of await client.listBuckets()) {
          if (name.startsWith(options.bucketPrefix)) await client.removeBucket(name);
        }
        await store.close();
      },
    };
  });
}

describe('s3 object store without a server', () => {
  const options: S3ObjectStoreOptions = {
    endpoint: 'http://127.0.0.1:9',
    accessKey: 'key',
    secretKey: 'secret',
    region: 'us-east-1',
    bucketPrefix: 'lh-',
  };

  it('builds public URLs on the real, prefixed bucket, encoding each key segment', async () => {
    const store = new S3ObjectStore({ ...options, publicUrl: 'https://cdn.example.com/' });
    assert.equal(
      await store.url('media', 'course 1/intro #1?.mp4', { access: 'public' }),
      'https://cdn.example.com/lh-media/course%201/intro%20%231%3F.mp4',
    );
  });

  it('presigns private URLs even when a public base URL is set, for the configured lifetime', async () => {
    const store = new S3ObjectStore({ ...options, publicUrl: 'https://cdn.example.com/', urlTtlSeconds: 900 });
    const url = new URL(await store.url('media', 'drafts/a.png', { access: 'private' }));
    assert.equal(url.origin, 'http://127.0.0.1:9');
    assert.equal(url.pathname, '/lh-media/drafts/a.png');
    assert.ok(url.searchParams.get('X-Amz-Signature'), url.href);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
    const short = new URL(await store.url('media', 'drafts/a.png', { access: 'private', expirySeconds: 60 }));
    assert.equal(short.searchParams.get('X-Amz-Expires'), '60');
    // Without a public base URL even public objects are presigned: the bucket itself is private.
    const bare = new URL(await new S3ObjectStore(options).url('media', 'page.html', { access: 'public' }));
    assert.ok(bare.searchParams.get('X-Amz-Signature'), bare.href);
  });

  it('gives readers a presigned URL for the configured lifetime, never the public one', async () => {
    const store = new S3ObjectStore({ ...options, publicUrl: 'https://cdn.example.com/', urlTtlSeconds: 900 });
    const source = await store.readSource('video', 'a/b/clip.avi');
    assert.ok('url' in source, JSON.stringify(source));
    const url = new URL(source.url);
    assert.equal(url.origin, 'http://127.0.0.1:9');
    assert.equal(url.pathname, '/lh-video/a/b/clip.avi');
    assert.ok(url.searchParams.get('X-Amz-Signature'), url.href);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
  });

  it('refuses an endpoint with a path, saying what to use instead', () => {
    assert.throws(() => new S3ObjectStore({ ...options, endpoint: 'http://minio:9000/s3' }), /bare http\(s\) origin/);
    assert.throws(() => new S3ObjectStore({ ...options, endpoint: 'minio:9000' }), /bare http\(s\) origin|not a URL/);
  });
});

describe('s3 object store deadlines', () => {
  let silent: TcpProxy;
  before(async () => {
    // Blackholed: it accepts connections, then neither reads nor answers.
    silent = await TcpProxy.start({ host: '127.0.0.1', port: 9 });
    await silent.blackhole();
  });
  after(() => silent.close());

  it('a server that goes silent fails the call after idleMs, reading or writing', async () => {
    const store = new S3ObjectStore({
      endpoint: silent.url('http'),
      accessKey: 'key',
      secretKey: 'secret',
      region: 'us-east-1',
      bucketPrefix: 'lh-',
      idleMs: 300,
    });
    const silentStore = (error: unknown): true => {
      assert.ok(error instanceof StoreSilentError, `expected StoreSilentError, got ${String(error)}`);
      assert.match(error.message, /neither took nor sent a byte for 0\.3 s/);
      return true;
    };
    await assert.rejects(store.stat('media', 'a.png'), silentStore);
    await assert.rejects(
      store.ping(),
      /did not answer ListBuckets: The object store at 127\.0\.0\.1 neither took nor sent a byte/,
    );
  });

  it('a reader slow to take an object is not taken for a silent server', { timeout: 60_000 }, async () => {
    const { store, close } = await startS3rverStore({ idleMs: 300 });
    try {
      const bytes = randomBytes(32 * 1024 * 1024);
      await store.put('media', 'big.bin', bytes);
      const stream: Readable = await store.get('media', 'big.bin');
      // Nothing read for five idle limits: the object waits in the buffers meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const hash = createHash('md5');
      for await (const part of stream) hash.update(part as Buffer);
      assert.equal(hash.digest('hex'), createHash('md5').update(bytes).digest('hex'));
    } finally {
      await close();
    }
  });
});
