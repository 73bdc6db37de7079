import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendUrl } from '../testing/backends.js';
import { runBucketPrefix, startS3rverStore } from '../testing/s3rver-store.js';
import { objectStoreContract } from './object-store.contract.js';
import { S3ObjectStore, s3Client, type S3ObjectStoreOptions } from './s3-object-store.js';

objectStoreContract('s3 protocol on s3rver', async () => {
  const { store, close } = await startS3rverStore();
  return {
    store,
    // s3rver answers AbortMultipartUpload with MethodNotAllowed, assembles parts without comparing
    // their ETags, and writes a body and then its MD5 into the final files in place.
    capabilities: { abortMultipart: false, checksPartEtags: false, atomicOverwrite: false, listsMultipart: false, servesUrls: true },
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

  it('refuses an endpoint with a path, saying what to use instead', () => {
    assert.throws(() => new S3ObjectStore({ ...options, endpoint: 'http://minio:9000/s3' }), /bare http\(s\) origin/);
    assert.throws(() => new S3ObjectStore({ ...options, endpoint: 'minio:9000' }), /bare http\(s\) origin|not a URL/);
  });
});
