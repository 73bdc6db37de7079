import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserPlayable, type ProbeResult } from './media-prober';

const mp4 = ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2'];

describe('browserPlayable', () => {
  const cases: Array<[string, ProbeResult, boolean]> = [
    ['H.264 + AAC in MP4', { formatNames: mp4, videoCodec: 'h264', audioCodec: 'aac' }, true],
    ['H.264 without audio in MP4', { formatNames: mp4, videoCodec: 'h264' }, true],
    [
      'H.264 + AAC named by one member of the MP4 family',
      { formatNames: ['mov'], videoCodec: 'h264', audioCodec: 'aac' },
      true,
    ],
    ['H.264 + MP3 in MP4', { formatNames: mp4, videoCodec: 'h264', audioCodec: 'mp3' }, false],
    ['HEVC + AAC in MP4', { formatNames: mp4, videoCodec: 'hevc', audioCodec: 'aac' }, false],
    ['MPEG-4 part 2 + AAC in MP4', { formatNames: mp4, videoCodec: 'mpeg4', audioCodec: 'aac' }, false],
    ['MPEG-4 part 2 + MP3 in AVI', { formatNames: ['avi'], videoCodec: 'mpeg4', audioCodec: 'mp3' }, false],
    ['H.264 + AAC in AVI', { formatNames: ['avi'], videoCodec: 'h264', audioCodec: 'aac' }, false],
    ['H.264 + AAC in Matroska', { formatNames: ['matroska', 'webm'], videoCodec: 'h264', audioCodec: 'aac' }, false],
    ['AAC audio alone in MP4', { formatNames: mp4, audioCodec: 'aac' }, false],
    ['nothing known', { formatNames: [] }, false],
  ];
  for (const [name, result, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(browserPlayable(result), expected));
  }
});
