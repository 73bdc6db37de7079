import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../errors.js';
import { appError } from '../testing/app-error.js';
import type { ObjectStore } from './object-store.js';

/** What a backend under test cannot do; each flag that is false skips exactly one case. */
export interface ObjectStoreCapabilities {
  /** The server implements AbortMultipartUpload (default true). */
  abortMultipart?: boolean;
  /** Completing a multipart upload checks the listed part ETags (default true). */
  checksPartEtags?: boolean;
  /** Something answers HTTP at the URLs `url()` returns, so the suite fetches them (default false). */
  servesUrls?: boolean;
  /** A put replaces an object whole, body and ETag together, even against a concurrent put (default true). */
  atomicOverwrite?: boolean;
  /** The server implements ListMultipartUploads (default true). */
  listsMultipart?: boolean;
  /** The server implements ListParts (default true); without it `listParts` answers undefined. */
  listsParts?: boolean;
  /** The server checks a part's `Content-MD5` against its bytes, as S3 does (default true). */
  checksContentMd5?: boolean;
}

export interface ContractSubject {
  store: ObjectStore;
  capabilities?: ObjectStoreCapabilities;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

/**
 * The behaviour every `ObjectStore` adapter must show. All objects go under one random prefix of
 * bucket `contract`, each case under its own sub-prefix, and are deleted afterwards.
 */
export function objectStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`object store contract: ${name}`, () => {
    const bucket = 'contract';
    const runPrefix = `run-${randomBytes(4).toString('hex')}/`;
    let cases = 0;
    let subject: ContractSubject | undefined;
    let store: ObjectStore;
    let capabilities: Required<ObjectStoreCapabilities>;
    const casePrefix = () => `${runPrefix}${(cases += 1)}/`;

    before(async () => {
      subject = await open();
      store = subject.store;
      capabilities = {
        abortMultipart: true,
        checksPartEtags: true,
        servesUrls: false,
        atomicOverwrite: true,
        listsMultipart: true,
        listsParts: true,
        checksContentMd5: true,
        ...subject.capabilities,
      };
    });

    after(async () => {
      if (!subject) return;
      try {
        await store.deleteByPrefix(bucket, runPrefix);
        assert.deepEqual(await store.list(bucket, runPrefix), [], 'the suite left objects behind');
      } finally {
        await subject.close();
      }
    });

    it('answers ping', async () => {
      await store.ping();
    });

    it('puts a Buffer and reads it back with get and stat', async () => {
      const key = `${casePrefix()}hello.txt`;
      const body = Buffer.from('hello, object store');
      const info = await store.put(bucket, key, body, { contentType: 'text/plain' });
      assert.equal(info.bucket, bucket);
      assert.equal(info.key, key);
      assert.equal(info.size, body.length);
      assert.equal(info.etag, md5(body));
      assert.equal(info.contentType, 'text/plain');
      assert.ok(info.lastModified instanceof Date);
      assert.deepEqual(await read(await store.get(bucket, key)), body);

      const stat = await store.stat(bucket, key);
      assert.ok(stat, 'stat found nothing');
      assert.equal(stat.size, body.length);
      assert.equal(stat.etag, md5(body));
      assert.equal(stat.contentType, 'text/plain');
      assert.ok(stat.lastModified instanceof Date);
    });

    it('defaults the content type to application/octet-stream', async () => {
      const key = `${casePrefix()}blob`;
      await store.put(bucket, key, Buffer.from([1, 2, 3]));
      assert.equal((await store.stat(bucket, key))?.contentType, 'application/octet-stream');
    });

    it('puts a 20 MiB stream of unknown size', async () => {
      const key = `${casePrefix()}big.bin`;
      const body = randomBytes(20 * MiB);
      const info = await store.put(bucket, key, streamOf(body, 256 * 1024), { contentType: 'application/zip' });
      assert.equal(info.size, body.length);
      assert.ok(equalBytes(await read(await store.get(bucket, key)), body), 'the bytes read back differ');
      const stat = await store.stat(bucket, key);
      assert.equal(stat?.size, body.length);
      assert.equal(stat?.etag, info.etag);
      assert.equal(stat?.contentType, 'application/zip');
    });

    it('puts a stream with a declared size, and refuses one whose length differs', async () => {
      const prefix = casePrefix();
      const body = randomBytes(MiB);
      const info = await store.put(bucket, `${prefix}sized`, streamOf(body, 64 * 1024), { size: body.length });
      assert.equal(info.etag, md5(body));
      assert.ok(equalBytes(await read(await store.get(bucket, `${prefix}sized`)), body));

      await rejectsWith(
        store.put(bucket, `${prefix}short`, streamOf(body, 64 * 1024), { size: body.length + 1 }),
        ErrorCode.BAD_USER_INPUT,
      );
      assert.equal(await store.stat(bucket, `${prefix}short`), undefined);
    });

    it('gets byte ranges: from a start, start to end, last byte, end past the size; refuses bad ones', async () => {
      const key = `${casePrefix()}bytes`;
      const body = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
      await store.put(bucket, key, body);
      assert.deepEqual(await read(await store.get(bucket, key, { start: 200 })), body.subarray(200));
      assert.deepEqual(await read(await store.get(bucket, key, { start: 10, end: 19 })), body.subarray(10, 20));
      assert.deepEqual(await read(await store.get(bucket, key, { start: 255, end: 255 })), Buffer.from([255]));
      assert.deepEqual(await read(await store.get(bucket, key, { start: 250, end: 9999 })), body.subarray(250));
      await rejectsWith(store.get(bucket, key, { start: 256 }), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.get(bucket, key, { start: 20, end: 10 }), ErrorCode.BAD_USER_INPUT);
      await rejectsWith(store.get(bucket, key, { start: -1 }), ErrorCode.BAD_USER_INPUT);
    });

    it('treats a missing object as absent: stat undefined, get NOT_FOUND, delete fine', async () => {
      const key = `${casePrefix()}nothing-here`;
      assert.equal(await store.stat(bucket, key), undefined);
      await rejectsWith(store.get(bucket, key), ErrorCode.NOT_FOUND);
      await rejectsWith(store.get(bucket, key, { start: 1 }), ErrorCode.NOT_FOUND);
      await store.delete(bucket, key);

      const neverWritten = `contract-unused-${randomBytes(3).toString('hex')}`;
      assert.equal(await store.stat(neverWritten, key), undefined);
      await rejectsWith(store.get(neverWritten, key), ErrorCode.NOT_FOUND);
      assert.deepEqual(await store.list(neverWritten, ''), []);
      assert.equal(await store.deleteByPrefix(neverWritten, ''), 0);
      await store.delete(neverWritten, key);
    });

    it('overwrites an object, then deletes it', async () => {
      const key = `${casePrefix()}doc`;
      await store.put(bucket, key, Buffer.from('first version, rather long'), { contentType: 'text/plain' });
      const second = Buffer.from('second');
      await store.put(bucket, key, second, { contentType: 'text/markdown' });
      assert.deepEqual(await read(await store.get(bucket, key)), second);
      const stat = await store.stat(bucket, key);
      assert.equal(stat?.size, second.length);
      assert.equal(stat?.etag, md5(second));
      assert.equal(stat?.contentType, 'text/markdown');

      await store.delete(bucket, key);
      assert.equal(await store.stat(bucket, key), undefined);
      await rejectsWith(store.get(bucket, key), ErrorCode.NOT_FOUND);
    });

    it('lists by prefix in key order, with nothing from outside the prefix', async () => {
      const prefix = casePrefix();
      const keys = ['list/é', 'list/b/c', 'list/a', 'list/b.txt', 'listing/x', 'other/y'];
      for (const key of keys) await store.put(bucket, `${prefix}${key}`, Buffer.from(key));
      const listed = async (under: string) =>
        (await store.list(bucket, `${prefix}${under}`)).map((info) => info.key.slice(prefix.length));

      // Byte order: "." (0x2e) sorts before "/" (0x2f), and "é" (0xc3 0xa9) after ASCII.
      assert.deepEqual(await listed('list/'), ['list/a', 'list/b.txt', 'list/b/c', 'list/é']);
      assert.deepEqual(await listed('list/b'), ['list/b.txt', 'list/b/c']);
      assert.deepEqual(await listed('list'), ['list/a', 'list/b.txt', 'list/b/c', 'list/é', 'listing/x']);
      assert.deepEqual(await listed('nothing/'), []);

      const [first] = await store.list(bucket, `${prefix}list/a`);
      assert.equal(first?.size, Buffer.byteLength('list/a'));
      assert.equal(first?.etag, md5(Buffer.from('list/a')));
    });

    it('deletes by prefix, counting, and leaves other keys alone', async () => {
      const prefix = casePrefix();
      for (const key of ['del/1', 'del/2', 'del/sub/3', 'delta', 'keep/4']) {
        await store.put(bucket, `${prefix}${key}`, Buffer.from(key));
      }
      assert.equal(await store.deleteByPrefix(bucket, `${prefix}del/`), 3);
      assert.deepEqual(
        (await store.list(bucket, prefix)).map((info) => info.key),
        [`${prefix}delta`, `${prefix}keep/4`],
      );
      assert.equal(await store.stat(bucket, `${prefix}del/sub/3`), undefined);
      assert.equal(await store.deleteByPrefix(bucket, `${prefix}del/`), 0);
    });

    it('gives a public URL and a signed private URL for an object; an altered private URL is refused', async (t) => {
      const prefix = casePrefix();
      const key = `${prefix}page one.html`;
      const body = Buffer.from('<h1>one</h1>');
      await store.put(bucket, key, body, { contentType: 'text/html' });
      await store.put(bucket, `${prefix}other.html`, Buffer.from('<h1>other</h1>'), { contentType: 'text/html' });
      const publicUrl = new URL(await store.url(bucket, key, { access: 'public' }));
      const privateUrl = new URL(await store.url(bucket, key, { access: 'private', expirySeconds: 300 }));
      for (const url of [publicUrl, privateUrl])
        assert.ok(decodeURIComponent(url.pathname).endsWith(`/${key}`), url.pathname);
      const signatureName = [...privateUrl.searchParams.keys()].find((name) => /signature/i.test(name));
      assert.ok(signatureName, `the private URL carries no signature: ${privateUrl.href}`);
      if (!capabilities.servesUrls) {
        t.diagnostic('nothing serves these URLs here; checked their shape only');
        return;
      }
      const response = await fetch(privateUrl);
      assert.equal(response.status, 200);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), body);

      const altered = new URL(privateUrl);
      const signature = altered.searchParams.get(signatureName)!;
      altered.searchParams.set(signatureName, `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
      const other = new URL(privateUrl);
      other.pathname = other.pathname.replace(/page%20one\.html$/, 'other.html');
      assert.notEqual(other.pathname, privateUrl.pathname);
      for (const refused of [altered, other]) {
        const answer = await fetch(refused);
        await answer.arrayBuffer();
        assert.equal(answer.status, 403, `${refused.href} was not refused`);
      }
    });

    it('gives a read source that opens to the object’s bytes: a file in place, or a signed URL', async (t) => {
      const key = `${casePrefix()}clip one.avi`;
      const body = randomBytes(64 * 1024);
      await store.put(bucket, key, body);
      const source = await store.readSource(bucket, key);
      if ('path' in source) {
        assert.deepEqual(await readFile(source.path), body);
        return;
      }
      const url = new URL(source.url);
      assert.ok(
        [...url.searchParams.keys()].some((name) => /signature/i.test(name)),
        `the read URL carries no signature: ${url.href}`,
      );
      if (!capabilities.servesUrls) {
        t.diagnostic('nothing serves these URLs here; checked their shape only');
        return;
      }
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), body);
    });

    it('assembles a multipart upload whose parts arrive out of order', async () => {
      const key = `${casePrefix()}video.mp4`;
      const [one, two, three] = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
      const uploadId = await store.createMultipart(bucket, key, { contentType: 'video/mp4' });
      const third = await store.uploadPart(bucket, key, uploadId, 3, three, three.length);
      const first = await store.uploadPart(bucket, key, uploadId, 1, streamOf(one, 256 * 1024), one.length);
      await store.uploadPart(bucket, key, uploadId, 2, randomBytes(5 * MiB), 5 * MiB);
      // Uploading a part number again replaces that part.
      const second = await store.uploadPart(bucket, key, uploadId, 2, two, two.length);
      assert.deepEqual(
        [first, second, third].map((part) => part.etag),
        [md5(one), md5(two), md5(three)],
      );
      assert.equal(await store.stat(bucket, key), undefined, 'the object appeared before completion');

      const done = await store.completeMultipart(bucket, key, uploadId, [first, second, third]);
      const whole = Buffer.concat([one, two, three]);
      assert.equal(done.size, whole.length);
      assert.equal(done.contentType, 'video/mp4');
      assert.ok(equalBytes(await read(await store.get(bucket, key)), whole), 'the assembled bytes differ');
      const stat = await store.stat(bucket, key);
      assert.equal(stat?.size, whole.length);
      assert.equal(stat?.etag, done.etag);
      assert.equal(stat?.contentType, 'video/mp4');
    });

    it('assembles a multipart upload with a declared part size from parts in any order', async () => {
      const key = `${casePrefix()}sized.mp4`;
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
      const uploadId = await store.createMultipart(bucket, key, { contentType: 'video/mp4', partSize: 5 * MiB });
      const [third, first] = await Promise.all(
        [2, 0, 1].map((i) => store.uploadPart(bucket, key, uploadId, i + 1, parts[i], parts[i].length)),
      );
      // A part sent again (a retry) replaces itself.
      const second = await store.uploadPart(bucket, key, uploadId, 2, parts[1], parts[1].length);
      const done = await store.completeMultipart(bucket, key, uploadId, [first, second, third]);
      const whole = Buffer.concat(parts);
      assert.equal(done.size, whole.length);
      assert.ok(equalBytes(await read(await store.get(bucket, key)), whole), 'the assembled bytes differ');
    });

    for (const partSize of [undefined, 5 * MiB]) {
      it(`refuses a part that does not match its declared MD5${partSize ? ', with a declared part size' : ''}`, async () => {
        const key = `${casePrefix()}checked-${partSize ?? 'any'}.mp4`;
        const [one, two] = [randomBytes(5 * MiB), randomBytes(4321)];
        const uploadId = await store.createMultipart(bucket, key, { partSize });
        const first = await store.uploadPart(bucket, key, uploadId, 1, streamOf(one, 64 * 1024), one.length, {
          md5: md5(one),
        });
        assert.equal(first.etag, md5(one));
        const damaged = Buffer.from(two);
        damaged[100] ^= 0xff;
        await rejectsWith(
          store.uploadPart(bucket, key, uploadId, 2, streamOf(damaged, 1000), damaged.length, { md5: md5(two) }),
          ErrorCode.BAD_USER_INPUT,
          /MD5/,
        );
        // The refusal leaves the upload usable: the part sent again completes the object.
        const second = await store.uploadPart(bucket, key, uploadId, 2, two, two.length, { md5: md5(two) });
        await store.completeMultipart(bucket, key, uploadId, [first, second]);
        assert.ok(
          equalBytes(await read(await store.get(bucket, key)), Buffer.concat([one, two])),
          'the assembled bytes differ',
        );
      });
    }

    it('refuses to complete a multipart upload with a wrong part ETag', async (t) => {
      if (!capabilities.checksPartEtags) {
        t.skip('this backend does not check part ETags on completion');
        return;
      }
      const key = `${casePrefix()}bad-etag`;
      const uploadId = await store.createMultipart(bucket, key);
      const part = await store.uploadPart(bucket, key, uploadId, 1, Buffer.from('part one'), 8);
      try {
        await rejectsWith(
          store.completeMultipart(bucket, key, uploadId, [{ partNumber: 1, etag: md5(Buffer.from('other')) }]),
          ErrorCode.BAD_USER_INPUT,
        );
        assert.equal(await store.stat(bucket, key), undefined);
        // The refusal leaves the upload usable.
        await store.completeMultipart(bucket, key, uploadId, [part]);
        assert.deepEqual(await read(await store.get(bucket, key)), Buffer.from('part one'));
      } catch (error) {
        if (capabilities.abortMultipart) await store.abortMultipart(bucket, key, uploadId);
        throw error;
      }
    });

    it('lists the parts of a multipart upload with their ETags and sizes, or says it cannot', async () => {
      const key = `${casePrefix()}listed.mp4`;
      const [one, two] = [randomBytes(5 * MiB), randomBytes(4321)];
      for (const partSize of [undefined, 5 * MiB]) {
        const uploadId = await store.createMultipart(bucket, key, { partSize });
        const listed = await store.listParts(bucket, key, uploadId);
        if (!capabilities.listsParts) {
          assert.equal(listed, undefined, 'a store that cannot list parts answers undefined');
          await store.uploadPart(bucket, key, uploadId, 1, one, one.length);
          await store.completeMultipart(bucket, key, uploadId, [{ partNumber: 1, etag: md5(one) }]);
          return;
        }
        assert.deepEqual(listed, []);
        await store.uploadPart(bucket, key, uploadId, 2, two, two.length);
        await store.uploadPart(bucket, key, uploadId, 1, one, one.length);
        assert.deepEqual(await store.listParts(bucket, key, uploadId), [
          { partNumber: 1, etag: md5(one), size: one.length },
          { partNumber: 2, etag: md5(two), size: two.length },
        ]);
        await store.completeMultipart(bucket, key, uploadId, [
          { partNumber: 1, etag: md5(one) },
          { partNumber: 2, etag: md5(two) },
        ]);
        await rejectsWith(store.listParts(bucket, key, uploadId), ErrorCode.NOT_FOUND);
      }
    });

    it('gives a part upload URL bound to the part’s MD5 (or none: the bytes then go through the service)', async (t) => {
      const key = `${casePrefix()}direct.mp4`;
      const [one, two] = [randomBytes(5 * MiB), randomBytes(3000)];
      const uploadId = await store.createMultipart(bucket, key, { partSize: 5 * MiB });
      const ask = (partNumber: number, bytes: Buffer) =>
        store.partUploadUrl(bucket, key, uploadId, partNumber, {
          md5: md5(bytes),
          size: bytes.length,
          expirySeconds: 600,
        });
      const request = await ask(1, one);
      if (!request) {
        t.diagnostic('this store takes no bytes from clients: they go through the service (uploadPart)');
        const first = await store.uploadPart(bucket, key, uploadId, 1, one, one.length, { md5: md5(one) });
        await store.completeMultipart(bucket, key, uploadId, [first]);
        return;
      }
      assert.equal(request.method, 'PUT');
      assert.equal(request.headers['Content-MD5'], createHash('md5').update(one).digest('base64'));
      const lifetime = request.expiresAt.getTime() - Date.now();
      assert.ok(lifetime > 500_000 && lifetime <= 600_000, `expires in ${lifetime} ms`);
      if (!capabilities.servesUrls) {
        t.diagnostic('nothing serves these URLs here; checked their shape only');
        await store.uploadPart(bucket, key, uploadId, 1, one, one.length);
        await store.completeMultipart(bucket, key, uploadId, [{ partNumber: 1, etag: md5(one) }]);
        return;
      }
      const send = (url: string, headers: Record<string, string>, body: Buffer) =>
        fetch(url, { method: 'PUT', headers, body }).then(async (response) => {
          await response.arrayBuffer();
          return response;
        });
      // Another part number, or other bytes under their own MD5, break the signature.
      const otherPart = request.url.replace('partNumber=1', 'partNumber=2');
      assert.notEqual(otherPart, request.url);
      assert.equal((await send(otherPart, request.headers, one)).status, 403);
      const otherMd5 = { 'Content-MD5': createHash('md5').update(two).digest('base64') };
      assert.equal((await send(request.url, otherMd5, two)).status, 403);
      if (capabilities.checksContentMd5) {
        // Bytes that do not hash to the signed MD5 are refused by the store itself.
        const damaged = Buffer.from(one);
        damaged[12345] ^= 0xff;
        assert.equal((await send(request.url, request.headers, damaged)).status, 400);
      } else {
        t.diagnostic('this server does not check Content-MD5 against the bytes (S3 does): a damaged body is not tried');
      }
      const sent = await send(request.url, request.headers, one);
      assert.equal(sent.status, 200);
      assert.equal(sent.headers.get('etag')?.replaceAll('"', ''), md5(one));
      const last = await ask(2, two);
      assert.equal((await send(last!.url, last!.headers, two)).status, 200);
      if (capabilities.listsParts) {
        assert.deepEqual(await store.listParts(bucket, key, uploadId), [
          { partNumber: 1, etag: md5(one), size: one.length },
          { partNumber: 2, etag: md5(two), size: two.length },
        ]);
      }
      await store.completeMultipart(bucket, key, uploadId, [
        { partNumber: 1, etag: md5(one) },
        { partNumber: 2, etag: md5(two) },
      ]);
      assert.ok(equalBytes(await read(await store.get(bucket, key)), Buffer.concat([one, two])));
    });

    it('aborts a multipart upload, after which completing it or sending it a part is NOT_FOUND', async (t) => {
      if (!capabilities.abortMultipart) {
        t.skip('this backend does not implement AbortMultipartUpload');
        return;
      }
      const key = `${casePrefix()}aborted`;
      const uploadId = await store.createMultipart(bucket, key);
      const part = await store.uploadPart(bucket, key, uploadId, 1, Buffer.from('never kept'), 10);
      await store.abortMultipart(bucket, key, uploadId);
      await rejectsWith(store.completeMultipart(bucket, key, uploadId, [part]), ErrorCode.NOT_FOUND);
      const late = randomBytes(100 * 1024);
      await rejectsWith(
        store.uploadPart(bucket, key, uploadId, 2, streamOf(late, 16 * 1024), late.length, { md5: md5(late) }),
        ErrorCode.NOT_FOUND,
      );
      assert.equal(await store.stat(bucket, key), undefined);
      await store.abortMultipart(bucket, key, uploadId);
    });

    it('lists the multipart uploads in progress with when each began, and forgets finished and aborted ones', async (t) => {
      if (!capabilities.listsMultipart || !capabilities.abortMultipart) {
        t.skip('this backend does not implement ListMultipartUploads (or AbortMultipartUpload)');
        return;
      }
      const listed = async () => {
        const uploads = [];
        for await (const upload of store.listMultipart(bucket)) uploads.push(upload);
        return uploads;
      };
      const before = Date.now();
      const openKey = `${casePrefix()}open`;
      const openId = await store.createMultipart(bucket, openKey);
      const doneKey = `${casePrefix()}done`;
      const doneId = await store.createMultipart(bucket, doneKey);
      const part = await store.uploadPart(bucket, doneKey, doneId, 1, Buffer.from('kept'), 4);
      await store.completeMultipart(bucket, doneKey, doneId, [part]);
      const abortedKey = `${casePrefix()}aborted`;
      const abortedId = await store.createMultipart(bucket, abortedKey);
      await store.abortMultipart(bucket, abortedKey, abortedId);

      const mine = (await listed()).filter((upload) => [openId, doneId, abortedId].includes(upload.uploadId));
      assert.deepEqual(
        mine.map(({ key, uploadId }) => ({ key, uploadId })),
        [{ key: openKey, uploadId: openId }],
      );
      // Clocks of a remote server may differ a little from ours.
      assert.ok(Math.abs(mine[0].initiated.getTime() - before) < 120_000, mine[0].initiated.toISOString());
      await store.abortMultipart(bucket, openKey, openId);
      assert.deepEqual(
        (await listed()).filter((upload) => upload.uploadId === openId),
        [],
      );
    });

    it('sweeping debris, even with every piece counted as old, keeps objects and multipart uploads in progress', async () => {
      const key = `${casePrefix()}kept`;
      await store.put(bucket, key, Buffer.from('kept through a sweep'));
      const uploadKey = `${casePrefix()}open`;
      const uploadId = await store.createMultipart(bucket, uploadKey);
      try {
        const part = await store.uploadPart(bucket, uploadKey, uploadId, 1, Buffer.from('part kept'), 9);
        await store.sweepDebris(new Date(Date.now() + 3_600_000));
        assert.deepEqual(await read(await store.get(bucket, key)), Buffer.from('kept through a sweep'));
        await store.completeMultipart(bucket, uploadKey, uploadId, [part]);
        assert.deepEqual(await read(await store.get(bucket, uploadKey)), Buffer.from('part kept'));
      } catch (error) {
        if (capabilities.abortMultipart) await store.abortMultipart(bucket, uploadKey, uploadId);
        throw error;
      }
    });

    it('handles keys with unicode and spaces', async () => {
      const folder = `${casePrefix()}dossier été/`;
      const key = `${folder}naïve résumé ✓ 😀 (1).txt`;
      const body = Buffer.from('unicode body ✓');
      await store.put(bucket, key, body, { contentType: 'text/plain; charset=utf-8' });
      assert.deepEqual(await read(await store.get(bucket, key)), body);
      assert.equal((await store.stat(bucket, key))?.size, body.length);
      assert.deepEqual(
        (await store.list(bucket, folder)).map((info) => info.key),
        [key],
      );
      for (const access of ['public', 'private'] as const) {
        const url = new URL(await store.url(bucket, key, { access }));
        // Adapters may escape differently (e.g. "(" or not), so compare the decoded path.
        assert.ok(decodeURIComponent(url.pathname).endsWith(`/${key}`), url.pathname);
        if (access === 'private' && capabilities.servesUrls)
          assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), body);
      }
      await store.delete(bucket, key);
      assert.equal(await store.stat(bucket, key), undefined);
    });

    it('ends concurrent puts of one key with one complete body, never a mix', async (t) => {
      if (!capabilities.atomicOverwrite) {
        t.skip('this backend writes objects in place, so concurrent puts of one key can interleave');
        return;
      }
      const key = `${casePrefix()}contested`;
      for (let round = 0; round < 3; round += 1) {
        const a = randomBytes(512 * 1024);
        const b = randomBytes(512 * 1024);
        await Promise.all([
          store.put(bucket, key, streamOf(a, 16 * 1024)),
          store.put(bucket, key, streamOf(b, 16 * 1024)),
        ]);
        const got = await read(await store.get(bucket, key));
        assert.ok(equalBytes(got, a) || equalBytes(got, b), `round ${round}: the body is a mix of both puts`);
        assert.equal((await store.stat(bucket, key))?.etag, md5(got), `round ${round}: the ETag is not the body's`);
      }
    });
  });
}

export function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

/** A stream that hands out `bytes` in `chunkSize` pieces, yielding to the event loop in between. */
export function streamOf(bytes: Buffer, chunkSize: number): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        await nextTurn();
        yield bytes.subarray(offset, offset + chunkSize);
      }
    })(),
  );
}

export async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Asserts that `promise` rejects with an AppError of `code` (and a message matching `message`). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, appError(code, message));
}
