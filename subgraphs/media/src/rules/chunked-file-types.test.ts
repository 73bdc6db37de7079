import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaType } from '../entities/media-object.entity';
import { judgeChunkedFile, planFile, plannedFor } from './chunked-file-types';
import { Buckets } from './object-keys';

const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n');
const mp4 = Buffer.from('000000206674797069736f6d00000200', 'hex');
const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]);

describe('which files chunked uploads take', () => {
  test('the name plans the type, and so the bucket and key, before any byte arrives', () => {
    assert.deepEqual(planFile('Lesson 1.MP4'), { type: MediaType.VIDEO, mimeType: 'video/mp4', extension: '.mp4' });
    assert.deepEqual(planFile('photo.jpeg'), { type: MediaType.IMAGE, mimeType: 'image/jpeg', extension: '.jpg' });
    assert.equal(planFile('report.docx')?.type, MediaType.DOCUMENT);
    for (const name of ['setup.exe', 'README', 'notes.log', 'archive.tar.gz'])
      assert.equal(planFile(name), undefined, name);
    assert.equal(plannedFor(Buckets.files, '2024/05/01/abc.pdf')?.extension, '.pdf');
    assert.equal(plannedFor(Buckets.video, 'a/b/abc/abc.m4v')?.type, MediaType.VIDEO);
    // Videos opened before other types were taken may have any extension.
    assert.equal(plannedFor(Buckets.video, 'a/b/abc/abc')?.type, MediaType.VIDEO);
  });

  test('the first bytes must be a type taken, and the one planned', () => {
    assert.ok(judgeChunkedFile(pdf, 'a.pdf', planFile('a.pdf')).accepted);
    assert.ok(judgeChunkedFile(mp4, 'clip.mov', planFile('clip.mov')).accepted, 'any video for a video');
    const docx = judgeChunkedFile(zip, 'r.docx', planFile('r.docx'));
    assert.ok(docx.accepted && docx.sniffed.extension === '.docx', 'a zip planned as .docx is a Word file');
    const mismatch = judgeChunkedFile(pdf, 'slides.mp4', planFile('slides.mp4'));
    assert.ok(!mismatch.accepted && mismatch.reason === 'FILE_TYPE_MISMATCH');
    assert.match(mismatch.message, /application\/pdf.*name ending in \.pdf/);
    const unknown = judgeChunkedFile(Buffer.from([0, 1, 2, 3, 0xff]), 'x.zip', planFile('x.zip'));
    assert.ok(!unknown.accepted && unknown.reason === 'UNSUPPORTED_FILE_TYPE');
    assert.match(unknown.message, /videos .* images .* documents/);
  });
});
