import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../errors.js';
import { waitUntil } from '../testing/wait-until.js';
import { LocalObjectStore } from './local-object-store.js';
import { objectStoreContract, rejectsWith } from './object-store.contract.js';
import { FileUrlSigner } from './signed-file-url.js';

objectStoreContract('local folder', async () => {
  const root = await mkdtemp(join(tmpdir(), 'object-store-contract-'));
  return {
    store: new LocalObjectStore({
      root,
      publicUrl: 'http://localhost:4000/files',
      urlSecret: 'contract-suite-url-secret-of-32-chars!',
    }),
    capabilities: { servesUrls: false },
    close: () => rm(root, { recursive: true, force: true }),
  };
});

describe('local object store', () => {
  const urlSecret = 'local-store-test-url-secret-of-32-chars';
  let parent: string;
  let root: string;
  let store: LocalObjectStore;

  before(async () => {
    // The root sits inside a folder of its own, so anything written beside it would show.
    parent = await mkdtemp(join(tmpdir(), 'object-store-local-'));
    root = join(parent, 'root');
    store = new LocalObjectStore({ root, publicUrl: 'https://cdn.example.com/files/', urlSecret, urlTtlSeconds: 600 });
  });

  after(() => rm(parent, { recursive: true, force: true }));

  it('refuses traversal keys and bad bucket names with BAD_USER_INPUT, writing nothing outside the root', async () => {
    const body = Buffer.from('escape');
    for (const key of ['../x', '/abs', 'a//b', 'a/../../x', 'a/./b', 'a/', '', 'a\\b', 'nul\0byte']) {
      await rejectsWith(store.put('media', key, body), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.get('media', key), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.stat('media', key), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.delete('media', key), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.createMultipart('media', key), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.readSource('media', key), ErrorCode.BAD_USER_INPUT);
    }
    for (const bucket of ['..', '.meta', 'UPPER', 'a', 'with/slash', '-dash']) {
      await rejectsWith(store.put(bucket, 'x', body), ErrorCode.BAD_USER_INPUT);
    }
    await rejectsWith(store.list('media', '../'), ErrorCode.BAD_USER_INPUT);
    await rejectsWith(store.deleteByPrefix('media', '/'), ErrorCode.BAD_USER_INPUT);
    assert.deepEqual(
      (await readdir(parent)).filter((name) => name !== 'root'),
      [],
    );
    assert.equal(existsSync(join(root, 'media')), false);
  });

  it('leaves no object and no temp file when the source stream fails midway', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(64 * 1024, 1);
        throw new Error('upload connection reset');
      })(),
    );
    await assert.rejects(store.put('media', 'broken/file.bin', failing), /upload connection reset/);
    assert.equal(await store.stat('media', 'broken/file.bin'), undefined);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    assert.equal(existsSync(join(root, 'media', 'broken')), false);
  });

  it('keeps content types in sidecars outside the bucket tree, never listed', async () => {
    await store.put('docs', 'a/readme.md', Buffer.from('# hi'), { contentType: 'text/markdown' });
    assert.deepEqual(await readdir(join(root, 'docs', 'a')), ['readme.md']);
    assert.ok(existsSync(join(root, '.meta', 'docs', 'a', 'readme.md')));
    const listed = await store.list('docs', '');
    assert.deepEqual(
      listed.map((info) => [info.key, info.contentType]),
      [['a/readme.md', 'text/markdown']],
    );
  });

  it('describes a file placed by hand, without a sidecar', async () => {
    const body = Buffer.from('copied in');
    await store.put('docs', 'manual/seed.txt', Buffer.from('placeholder'));
    await rm(join(root, '.meta', 'docs', 'manual'), { recursive: true });
    await writeFile(join(root, 'docs', 'manual', 'seed.txt'), body);
    const stat = await store.stat('docs', 'manual/seed.txt');
    assert.equal(stat?.etag, createHash('md5').update(body).digest('hex'));
    assert.equal(stat?.contentType, 'application/octet-stream');
  });

  it('prunes folders emptied by deletes, up to the bucket folder', async () => {
    await store.put('prune', 'x/y/z/deep.txt', Buffer.from('deep'));
    await store.put('prune', 'x/keep.txt', Buffer.from('keep'));
    await store.delete('prune', 'x/y/z/deep.txt');
    assert.deepEqual(await readdir(join(root, 'prune', 'x')), ['keep.txt']);
    assert.deepEqual(await readdir(join(root, '.meta', 'prune', 'x')), ['keep.txt']);
    await store.deleteByPrefix('prune', 'x/');
    assert.deepEqual(await readdir(join(root, 'prune')), []);
  });

  it('refuses a key that would need an existing object to be a folder, with CONFLICT', async () => {
    await store.put('clash', 'a', Buffer.from('file'));
    await rejectsWith(store.put('clash', 'a/b', Buffer.from('nested')), ErrorCode.CONFLICT);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    assert.equal(await store.stat('clash', 'a/b'), undefined);
  });

  it('builds URLs from the public base URL, encoding each key segment: plain when public, signed when private', async () => {
    const key = 'course 1/intro #1?.mp4';
    assert.equal(
      await store.url('media', key, { access: 'public' }),
      'https://cdn.example.com/files/media/course%201/intro%20%231%3F.mp4',
    );
    const before = Math.floor(Date.now() / 1000);
    const signed = new URL(await store.url('media', key, { access: 'private' }));
    assert.equal(
      `${signed.origin}${signed.pathname}`,
      'https://cdn.example.com/files/media/course%201/intro%20%231%3F.mp4',
    );
    const expires = Number(signed.searchParams.get('expires'));
    assert.ok(
      expires >= before + 600 && expires <= Math.floor(Date.now() / 1000) + 600,
      `expires ${expires} is not 600 s ahead`,
    );
    const signer = new FileUrlSigner(urlSecret);
    assert.deepEqual(
      signer.check('media', key, signed.searchParams.get('expires'), signed.searchParams.get('signature')),
      { valid: true, expires },
    );
    assert.equal(
      signer.check(
        'media',
        'course 1/other.mp4',
        signed.searchParams.get('expires'),
        signed.searchParams.get('signature'),
      ).valid,
      false,
    );
    const short = new URL(await store.url('media', key, { access: 'private', expirySeconds: 60 }));
    assert.ok(Number(short.searchParams.get('expires')) <= Math.floor(Date.now() / 1000) + 60);
  });

  it('refuses to hand out a private URL without a URL secret, rather than an unsigned one', async () => {
    const unsigned = new LocalObjectStore({ root, publicUrl: 'https://cdn.example.com/files' });
    assert.equal(
      await unsigned.url('media', 'a.png', { access: 'public' }),
      'https://cdn.example.com/files/media/a.png',
    );
    await assert.rejects(unsigned.url('media', 'a.png', { access: 'private' }), /FILE_URL_SECRET/);
  });

  it('checks multipart uploads: unknown ids, missing parts, small parts; abort removes the folder', async () => {
    const key = 'lesson.mp4';
    await rejectsWith(store.uploadPart('media', key, '0'.repeat(32), 1, Buffer.from('x'), 1), ErrorCode.NOT_FOUND);
    await rejectsWith(
      store.completeMultipart('media', key, '../../etc', [{ partNumber: 1, etag: 'x' }]),
      ErrorCode.NOT_FOUND,
    );

    const uploadId = await store.createMultipart('media', key);
    await rejectsWith(store.uploadPart('media', 'other.mp4', uploadId, 1, Buffer.from('x'), 1), ErrorCode.NOT_FOUND);
    await rejectsWith(store.uploadPart('media', key, uploadId, 0, Buffer.from('x'), 1), ErrorCode.BAD_USER_INPUT);
    await rejectsWith(store.uploadPart('media', key, uploadId, 1, Buffer.from('xy'), 1), ErrorCode.BAD_USER_INPUT);
    const one = await store.uploadPart('media', key, uploadId, 1, Buffer.from('small'), 5);
    const two = await store.uploadPart('media', key, uploadId, 2, Buffer.from('last'), 4);
    await rejectsWith(
      store.completeMultipart('media', key, uploadId, [one, { partNumber: 3, etag: two.etag }]),
      ErrorCode.BAD_USER_INPUT,
    );
    await rejectsWith(store.completeMultipart('media', key, uploadId, [one, two]), ErrorCode.BAD_USER_INPUT);
    await rejectsWith(store.completeMultipart('media', key, uploadId, [one, one]), ErrorCode.BAD_USER_INPUT);
    // A single small part is fine: only parts before the last need 5 MiB.
    await store.completeMultipart('media', key, uploadId, [one]);
    assert.deepEqual(await readdir(join(root, '.multipart')), []);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);

    const aborted = await store.createMultipart('media', key);
    await store.uploadPart('media', key, aborted, 1, Buffer.from('gone'), 4);
    await store.abortMultipart('media', key, aborted);
    assert.equal(existsSync(join(root, '.multipart', aborted)), false);
    await rejectsWith(store.uploadPart('media', key, aborted, 1, Buffer.from('late'), 4), ErrorCode.NOT_FOUND);
  });

  it('writes parts of a declared size in place: wrong sizes, gaps and stale ETags refused, one file, no copies left', async () => {
    const MiB = 1024 * 1024;
    const key = 'in-place.mp4';
    await rejectsWith(store.createMultipart('media', key, { partSize: 1000 }), ErrorCode.BAD_USER_INPUT);
    const uploadId = await store.createMultipart('media', key, { partSize: 5 * MiB });
    await rejectsWith(
      store.uploadPart('media', key, uploadId, 1, Buffer.alloc(5 * MiB + 1), 5 * MiB + 1),
      ErrorCode.BAD_USER_INPUT,
    );
    const [a, b, c] = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.from('tail')];
    const first = await store.uploadPart('media', key, uploadId, 1, a, a.length);
    const third = await store.uploadPart('media', key, uploadId, 3, c, c.length);
    await rejectsWith(store.completeMultipart('media', key, uploadId, [first, third]), ErrorCode.BAD_USER_INPUT);
    const short = await store.uploadPart('media', key, uploadId, 2, Buffer.from('short'), 5);
    await rejectsWith(store.completeMultipart('media', key, uploadId, [first, short, third]), ErrorCode.BAD_USER_INPUT);
    const second = await store.uploadPart('media', key, uploadId, 2, b, b.length);
    await rejectsWith(store.completeMultipart('media', key, uploadId, [first, short, third]), ErrorCode.BAD_USER_INPUT);
    assert.deepEqual(
      (await readdir(join(root, '.multipart', uploadId))).filter((f) => !f.endsWith('.part') && f !== 'upload.json'),
      ['data'],
    );
    const done = await store.completeMultipart('media', key, uploadId, [first, second, third]);
    const whole = Buffer.concat([a, b, c]);
    assert.equal(done.size, whole.length);
    assert.equal(done.etag, createHash('md5').update(whole).digest('hex'), "the in-place ETag is the whole file's MD5");
    assert.equal(existsSync(join(root, '.multipart', uploadId)), false);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
  });

  it('sweeps the debris a killed writer left in .tmp once it was last touched before the cutoff, and keeps younger debris and writes in flight', async () => {
    // A real crash: a process killed with SIGKILL in the middle of a put.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const { PassThrough } = require('node:stream');
const { LocalObjectStore } = require(${JSON.stringify(join(__dirname, 'local-object-store.js'))});
const body = new PassThrough();
new LocalObjectStore({ root: ${JSON.stringify(root)}, publicUrl: 'http://x' }).put('media', 'killed/mid-put.bin', body);
body.write(Buffer.alloc(256 * 1024, 3), () => setTimeout(() => console.log('writing'), 200));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(writer.stdout!, 'data')) as [Buffer];
      assert.equal(line.toString().trim(), 'writing');
    } finally {
      writer.kill('SIGKILL');
    }
    await once(writer, 'exit');
    const crashed = await readdir(join(root, '.tmp'));
    assert.equal(crashed.length, 1, 'the killed put left its temp file');
    // Debris of a killed createMultipart or of a folder being deleted: a folder with files, old.
    const oldFolder = join(root, '.tmp', 'old-folder');
    await mkdir(oldFolder);
    await writeFile(join(oldFolder, 'upload.json'), '{}');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(oldFolder, twoHoursAgo, twoHoursAgo);

    const inFlight = new PassThrough();
    const putting = store.put('media', 'in-flight.bin', inFlight);
    inFlight.write(Buffer.alloc(64 * 1024, 1));
    await waitUntil(
      'the write in flight to have its temp file',
      async () => (await readdir(join(root, '.tmp'))).length >= 3,
      10_000,
    );

    const anHourAgo = new Date(Date.now() - 3_600_000);
    assert.equal(await store.sweepDebris(anHourAgo), 1, 'only the old folder is older than the cutoff');
    assert.deepEqual(
      (await readdir(join(root, '.tmp'))).filter((name) => name !== crashed[0]).length,
      1,
      'the write in flight keeps its temp file',
    );
    inFlight.end(Buffer.alloc(64 * 1024, 2));
    const written = await putting;
    assert.equal(written.size, 128 * 1024, 'the write in flight completed whole');

    assert.equal(
      await store.sweepDebris(new Date(Date.now() + 60_000)),
      1,
      "the killed put's file, once older than the cutoff",
    );
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    assert.equal(await store.stat('media', 'killed/mid-put.bin'), undefined);
  });

  it('sweeps nothing, and creates nothing, in a store that has not written yet', async () => {
    const fresh = new LocalObjectStore({ root: join(parent, 'never-written'), publicUrl: 'http://x' });
    assert.equal(await fresh.sweepDebris(new Date(Date.now() + 60_000)), 0);
    assert.equal(existsSync(join(parent, 'never-written')), false);
  });

  it('pings a writable root and explains an unwritable one', async () => {
    await store.ping();
    const file = join(parent, 'not-a-folder');
    await writeFile(file, '');
    const broken = new LocalObjectStore({ root: join(file, 'root'), publicUrl: 'http://x' });
    await assert.rejects(broken.ping(), /not writable/);
  });
});
