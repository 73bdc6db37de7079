import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import bundledFfmpeg from '@ffmpeg-installer/ffmpeg';
import bundledFfprobe from '@ffprobe-installer/ffprobe';
import { findFfmpeg, findFfprobe } from './ffmpeg-binaries';

describe('findFfmpeg and findFfprobe', () => {
  test('a configured path wins; otherwise a system binary or the bundled one', () => {
    assert.equal(findFfmpeg('/opt/ffmpeg/bin/ffmpeg'), '/opt/ffmpeg/bin/ffmpeg');
    assert.ok(['ffmpeg', bundledFfmpeg.path].includes(findFfmpeg()));
    assert.equal(findFfprobe('/opt/ffmpeg/bin/ffprobe'), '/opt/ffmpeg/bin/ffprobe');
    assert.ok(['ffprobe', bundledFfprobe.path].includes(findFfprobe()));
  });
});
