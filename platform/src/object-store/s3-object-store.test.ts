import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../errors.js';
import { appError } from '../testing/app-error.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { backendUrl } from '../testing/backends.js';
import { S3RVER_KEY, runBucketPrefix, startS3rverStore } from '../testing/s3rver-store.js';
import { md5, objectStoreContract, read, rejectsWith, streamOf } from './object-store.contract.js';
import { StoreSilentError } from './idle-limited-transport.js';
import { S3ObjectStore, s3Client, type S3ObjectStoreOptions } from './s3-object-store.js';
import { presignV4, uriEncode } from './sigv4-presign.js';

const MiB = 1024 * 1024;

objectStoreContract('s3 protocol on s3rver', async () => {
  const { store, close } = await startS3rverStore();
  return {
    store,
    // s3rver answers AbortMultipartUpload with MethodNotAllowed, assembles parts without comparing
    // their ETags, and writes a body and then its MD5 into the final files in place. It answers
    // ListParts MethodNotAllowed and stores a part whatever its Content-MD5 says; it does check
    // presigned (v4) signatures and their expiry. With S3_ENDPOINT set the suite below runs every
    // case on a real server, a part refused for a wrong MD5 included.
    capabilities: {
      abortMultipart: false,
      checksPartEtags: false,
      atomicOverwrite: false,
      listsMultipart: false,
      listsParts: false,
      checksContentMd5: false,
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

describe('presigned part uploads (SigV4 written here)', () => {
  const credentials = {
    accessKey: 'AKIDEXAMPLE',
    secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    region: 'eu-west-3',
  };

  it('signs as the minio client does when only the host is signed', async () => {
    const client = s3Client({ endpoint: 'http://127.0.0.1:9', bucketPrefix: '', ...credentials });
    const now = new Date('2024-05-01T08:30:00Z');
    const theirs = new URL(
      await client.presignedUrl(
        'PUT',
        'lh-video',
        'a/b/clip (1).mp4',
        900,
        { partNumber: '3', uploadId: 'up-1.x_y' },
        now,
      ),
    );
    const ours = new URL(
      presignV4(credentials, {
        method: 'PUT',
        origin: 'http://127.0.0.1:9',
        path: `/lh-video/${'a/b/clip (1).mp4'.split('/').map(uriEncode).join('/')}`,
        query: { partNumber: '3', uploadId: 'up-1.x_y' },
        headers: {},
        expirySeconds: 900,
        now,
      }),
    );
    assert.equal(ours.pathname, theirs.pathname);
    for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'])
      assert.equal(ours.searchParams.get(name), theirs.searchParams.get(name), name);
  });

  it('signs Content-MD5 with the host, and a URL past its lifetime is refused by the server', async () => {
    const { store, close } = await startS3rverStore();
    try {
      const bytes = randomBytes(1000);
      const md5 = createHash('md5').update(bytes).digest('hex');
      const uploadId = await store.createMultipart('video', 'old.bin');
      const request = await store.partUploadUrl('video', 'old.bin', uploadId, 1, {
        md5,
        size: 1000,
        expirySeconds: 60,
      });
      assert.equal(new URL(request.url).searchParams.get('X-Amz-SignedHeaders'), 'content-md5;host');
      const url = new URL(request.url);
      const expired = presignV4(
        { accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' },
        {
          method: 'PUT',
          origin: url.origin,
          path: url.pathname,
          query: { partNumber: '1', uploadId },
          headers: request.headers,
          expirySeconds: 60,
          now: new Date(Date.now() - 120_000),
        },
      );
      const refused = await fetch(expired, { method: 'PUT', headers: request.headers, body: bytes });
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /expired/);
      const sent = await fetch(request.url, { method: 'PUT', headers: request.headers, body: bytes });
      assert.equal(sent.status, 200, await sent.text());
    } finally {
      await close();
    }
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

  const silentStore = (error: unknown): true => {
    assert.ok(error instanceof StoreSilentError, `expected StoreSilentError, got ${String(error)}`);
    assert.match(error.message, /neither took nor sent a byte for 0\.3 s/);
    return true;
  };

  it('a server that goes silent fails the call after idleMs, reading or writing', async () => {
    const store = new S3ObjectStore({
      endpoint: silent.url('http'),
      accessKey: 'key',
      secretKey: 'secret',
      region: 'us-east-1',
      bucketPrefix: 'lh-',
      idleMs: 300,
    });
    await assert.rejects(store.stat('media', 'a.png'), silentStore);
    await assert.rejects(
      store.ping(),
      /did not answer ListBuckets: The object store at 127\.0\.0\.1 neither took nor sent a byte/,
    );
  });

  it('a reader slow to take an object is not taken for a silent server', { timeout: 60_000 }, async () => {
    const { store, direct, close } = await proxiedS3rverStore(300);
    try {
      const bytes = randomBytes(32 * MiB);
      // Stored without the tight limit: s3rver, in this process, may take longer than 0.3 s to file it.
      await direct.put('media', 'big.bin', bytes);
      const stream: Readable = await store.get('media', 'big.bin');
      // Nothing read for five idle limits: the object waits in the buffers meanwhile.
      await sleep(1_500);
      const hash = createHash('md5');
      for await (const part of stream) hash.update(part as Buffer);
      assert.equal(hash.digest('hex'), md5(bytes));
    } finally {
      await close();
    }
  });

  it('a server that goes silent after a reader was slow to take an object still fails the read', {
    timeout: 60_000,
  }, async () => {
    const { store, direct, proxy, close } = await proxiedS3rverStore(300);
    try {
      await direct.put('media', 'big.bin', randomBytes(32 * MiB));
      const stream: Readable = await store.get('media', 'big.bin');
      await sleep(1_500);
      let read = 0;
      const reading = (async () => {
        for await (const part of stream) {
          read += (part as Buffer).length;
          // From here on nothing more comes from the server.
          if (read >= 8 * MiB && read - (part as Buffer).length < 8 * MiB) await proxy.blackhole();
        }
      })();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the read never failed (${read} bytes read)`)), 20_000);
      });
      await assert.rejects(Promise.race([reading, deadline]), silentStore).finally(() => clearTimeout(timer));
    } finally {
      await close();
    }
  });

  it('a server that stops answering in the middle of a streamed part fails it after idleMs', async () => {
    const { store, proxy, close } = await proxiedS3rverStore(300);
    try {
      const bytes = randomBytes(5 * MiB);
      const uploadId = await store.createMultipart('video', 'cut-off.bin');
      // From the middle of the body on, nothing reaches the server and nothing comes back.
      const body = piecesOnDemand(bytes, (taken) => (taken === 2 * MiB ? proxy.blackhole() : undefined));
      await assert.rejects(
        store.uploadPart('video', 'cut-off.bin', uploadId, 1, body, bytes.length, { md5: md5(bytes) }),
        silentStore,
      );
    } finally {
      await close();
    }
  });

  it('a sender slow to hand over a streamed part is not taken for a silent server', async () => {
    const { store, close } = await startS3rverStore({ idleMs: 300 });
    try {
      const bytes = randomBytes(5 * MiB);
      const uploadId = await store.createMultipart('video', 'slow.bin');
      // Nothing to send for five idle limits, halfway through the part.
      const body = piecesOnDemand(bytes, (taken) => (taken === 2 * MiB ? sleep(1_500) : undefined));
      const part = await store.uploadPart('video', 'slow.bin', uploadId, 1, body, bytes.length, { md5: md5(bytes) });
      assert.equal(part.etag, md5(bytes));
    } finally {
      await close();
    }
  });
});

describe('parts streamed to S3 as they arrive', () => {
  let subject: Awaited<ReturnType<typeof proxiedS3rverStore>>;
  before(async () => {
    subject = await proxiedS3rverStore();
  });
  after(() => subject.close());

  it('sends a part while reading it, never far ahead of what S3 got, and completes it into the same bytes', async () => {
    const { store, proxy } = subject;
    // What the store may read ahead of what the proxy took: its socket's send buffer, the proxy's receive buffer
    // (filled while the proxy waits on S3 or on this busy process), and a few pieces in streams.
    const bound = (await socketBufferMax('tcp_wmem')) + (await socketBufferMax('tcp_rmem')) + 4 * MiB;
    const key = 'streamed/big.bin';
    // Longer than the bound, so a store holding the part before sending it would fail.
    const [bytes, tail] = [randomBytes(bound + 8 * MiB), randomBytes(1000)];
    const uploadId = await store.createMultipart('video', key);
    const sentBefore = proxy.bytesFromClients;
    let mostAhead = 0;
    const body = piecesOnDemand(bytes, (taken) => {
      mostAhead = Math.max(mostAhead, taken - (proxy.bytesFromClients - sentBefore));
    });
    const first = await store.uploadPart('video', key, uploadId, 1, body, bytes.length, { md5: md5(bytes) });
    assert.equal(first.etag, md5(bytes));
    // Holding the part before sending it, as the minio client must, would read all of it ahead.
    assert.ok(mostAhead <= bound, `read ${mostAhead} bytes ahead of what was sent; at most ${bound} expected`);
    const second = await store.uploadPart('video', key, uploadId, 2, tail, tail.length, { md5: md5(tail) });
    const done = await store.completeMultipart('video', key, uploadId, [first, second]);
    assert.equal(done.size, bytes.length + tail.length);
    assert.equal(md5(await read(await store.get('video', key))), md5(Buffer.concat([bytes, tail])));
  });

  const part = randomBytes(5 * MiB);
  const wrongLengths = [
    {
      name: 'longer',
      // The declared bytes whole, then one more: sent on at once, S3 would have stored them.
      body: Buffer.concat([part, Buffer.from('!')]),
      refusal: /declared as 5242880 bytes but the body has at least 5242881/,
    },
    {
      name: 'shorter',
      body: part.subarray(0, part.length - 1000),
      refusal: /declared as 5242880 bytes but the body has 5241880/,
    },
  ];
  for (const { name, body, refusal } of wrongLengths) {
    it(`refuses a body ${name} than declared with the size error, and S3 is left no part of those bytes`, async () => {
      const { store } = subject;
      const key = `streamed/${name}.bin`;
      const uploadId = await store.createMultipart('video', key);
      await rejectsWith(
        store.uploadPart('video', key, uploadId, 1, streamOf(body, 64 * 1024), part.length, { md5: md5(part) }),
        ErrorCode.BAD_USER_INPUT,
        refusal,
      );
      // S3 refuses to complete with a part it never stored whole; s3rver joins whatever bytes it kept of a cut-off part.
      const completed = await store
        .completeMultipart('video', key, uploadId, [{ partNumber: 1, etag: md5(body.subarray(0, part.length)) }])
        .then(
          async () => read(await store.get('video', key)),
          (error: unknown) => {
            appError(ErrorCode.BAD_USER_INPUT)(error);
            return undefined;
          },
        );
      assert.ok(
        completed === undefined || !completed.equals(body.subarray(0, part.length)),
        'S3 had the refused body whole',
      );
    });
  }

  it('answers an S3 error sent before the body is through as the client does: a part into a missing bucket is NOT_FOUND', async () => {
    const { store } = subject;
    // s3rver takes parts for any upload id, so its NoSuchUpload cannot be shown here (the contract's abort case does, on S3).
    await rejectsWith(
      store.uploadPart('never-made', 'a.bin', 'no-such-upload', 1, streamOf(part, 64 * 1024), part.length, {
        md5: md5(part),
      }),
      ErrorCode.NOT_FOUND,
      /never-made\/a\.bin/,
    );
  });
});

/** A store on s3rver behind a TcpProxy, which counts the bytes the store has sent (`proxy.bytesFromClients`). */
/** `store` reaches s3rver through `proxy`, with `idleMs`; `direct`, on the same buckets, does not and has the default idle limit. */
async function proxiedS3rverStore(idleMs?: number) {
  const bucketPrefix = runBucketPrefix();
  const s3rver = await startS3rverStore({ bucketPrefix });
  const proxy = await TcpProxy.start(s3rver.endpoint);
  const store = new S3ObjectStore({
    endpoint: proxy.url('http'),
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    region: 'us-east-1',
    bucketPrefix,
    idleMs,
  });
  return {
    store,
    direct: s3rver.store,
    proxy,
    close: async () => {
      await proxy.close();
      await s3rver.close();
    },
  };
}

/** `bytes` in 64 KiB pieces, each made ready only when the reader asks for it; `onRead` hears how much was taken before each ask. */
function piecesOnDemand(bytes: Buffer, onRead: (taken: number) => Promise<void> | void): Readable {
  return Readable.from(
    (async function* () {
      for (let taken = 0; taken < bytes.length; taken += 64 * 1024) {
        await onRead(taken);
        yield bytes.subarray(taken, taken + 64 * 1024);
      }
    })(),
    { objectMode: false, highWaterMark: 1 },
  );
}

/** The most a TCP socket's send (`tcp_wmem`) or receive (`tcp_rmem`) buffer may grow to; Linux's defaults elsewhere. */
async function socketBufferMax(name: 'tcp_wmem' | 'tcp_rmem'): Promise<number> {
  const setting = await readFile(`/proc/sys/net/ipv4/${name}`, 'utf8').catch(() => '');
  return Number(setting.trim().split(/\s+/)[2]) || (name === 'tcp_wmem' ? 4 : 6) * MiB;
}
