import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaType } from '../entities/media-object.entity';
import { SNIFF_BYTES, sniff } from './mime-sniffer';

const bytes = (...parts: (number[] | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

// Real file headers, as the first bytes of files written by common tools.
const samples = {
  /** A complete 1×1 PNG. */
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
    'base64',
  ),
  /** JFIF APP0 segment. */
  jpeg: bytes(
    [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10],
    'JFIF',
    [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00],
  ),
  gif87: bytes('GIF87a', [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]),
  gif89: bytes('GIF89a', [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21, 0xf9]),
  webp: bytes('RIFF', u32le(26), 'WEBPVP8 ', u32le(14), [0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00]),
  /** BITMAPFILEHEADER of a 70-byte file plus the start of its BITMAPINFOHEADER. */
  bmp: bytes('BM', u32le(70), [0, 0, 0, 0], u32le(54), u32le(40), u32le(1), u32le(1), [1, 0, 24, 0]),
  pdf: bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'),
  /** A zip local file header, as every .docx/.xlsx/.pptx/.zip starts. */
  zip: bytes(
    [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00],
    '[Content_Types].xml',
  ),
  /** An OLE2 compound file header, as every .doc/.xls/.ppt starts. */
  ole: bytes(
    [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    new Array(16).fill(0),
    [0x3e, 0x00, 0x03, 0x00, 0xfe, 0xff],
  ),
  mp4: bytes([0x00, 0x00, 0x00, 0x20], 'ftypisom', [0x00, 0x00, 0x02, 0x00], 'isomiso2avc1mp41'),
  mov: bytes([0x00, 0x00, 0x00, 0x14], 'ftypqt  ', [0x00, 0x00, 0x02, 0x00], 'qt  '),
  avi: bytes('RIFF', u32le(1_000_000), 'AVI LIST', u32le(192), 'hdrlavih'),
  /** EBML header with DocType "matroska". */
  mkv: bytes(
    [0x1a, 0x45, 0xdf, 0xa3, 0xa3, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0x82, 0x88],
    'matroska',
    [0x42, 0x87, 0x81, 0x04],
  ),
  /** EBML header with DocType "webm". */
  webm: bytes(
    [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0x82, 0x84],
    'webm',
    [0x42, 0x87, 0x81, 0x02],
  ),
  flv: bytes('FLV', [0x01, 0x05, 0x00, 0x00, 0x00, 0x09]),
  /** Three 188-byte MPEG transport stream packets, each starting with the 0x47 sync byte. */
  ts: Buffer.concat(
    [0, 1, 2].map((n) => {
      const packet = Buffer.alloc(188, 0xff);
      packet.set([0x47, 0x40, 0x00, 0x10 + n], 0);
      return packet;
    }),
  ),
};

describe('sniff: images', () => {
  for (const [name, sample, mimeType, extension] of [
    ['PNG', samples.png, 'image/png', '.png'],
    ['JPEG', samples.jpeg, 'image/jpeg', '.jpg'],
    ['GIF87a', samples.gif87, 'image/gif', '.gif'],
    ['GIF89a', samples.gif89, 'image/gif', '.gif'],
    ['WebP', samples.webp, 'image/webp', '.webp'],
    ['BMP', samples.bmp, 'image/bmp', '.bmp'],
  ] as const) {
    test(`${name} is an image`, () => {
      assert.deepEqual(sniff(sample, `picture${extension}`), { mimeType, extension, type: MediaType.IMAGE });
    });
  }

  test('the bytes decide, not the name', () => {
    assert.deepEqual(sniff(samples.png, 'report.pdf'), {
      mimeType: 'image/png',
      extension: '.png',
      type: MediaType.IMAGE,
    });
    assert.deepEqual(sniff(samples.jpeg, 'no-extension'), {
      mimeType: 'image/jpeg',
      extension: '.jpg',
      type: MediaType.IMAGE,
    });
  });
});

describe('sniff: documents', () => {
  test('PDF', () => {
    assert.deepEqual(sniff(samples.pdf, 'lesson.pdf'), {
      mimeType: 'application/pdf',
      extension: '.pdf',
      type: MediaType.DOCUMENT,
    });
  });

  test('a zip named as an Office Open XML file is that format', () => {
    assert.deepEqual(sniff(samples.zip, '讲义.docx'), {
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      extension: '.docx',
      type: MediaType.DOCUMENT,
    });
    assert.equal(
      sniff(samples.zip, 'grades.XLSX')?.mimeType,
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    assert.equal(
      sniff(samples.zip, 'slides.pptx')?.mimeType,
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    );
  });

  test('any other zip is a zip, whatever its name says', () => {
    const zip = { mimeType: 'application/zip', extension: '.zip', type: MediaType.DOCUMENT };
    assert.deepEqual(sniff(samples.zip, 'code.zip'), zip);
    assert.deepEqual(sniff(samples.zip, 'old-format.doc'), zip, 'a zip cannot be a legacy .doc');
    assert.deepEqual(sniff(samples.zip, 'picture.png'), zip);
  });

  test('an OLE compound file named as a legacy Office file is that format', () => {
    assert.deepEqual(sniff(samples.ole, 'notes.doc'), {
      mimeType: 'application/msword',
      extension: '.doc',
      type: MediaType.DOCUMENT,
    });
    assert.equal(sniff(samples.ole, 'grades.xls')?.mimeType, 'application/vnd.ms-excel');
    assert.equal(sniff(samples.ole, 'slides.ppt')?.mimeType, 'application/vnd.ms-powerpoint');
  });

  test('any other OLE compound file is generic OLE storage', () => {
    const ole = { mimeType: 'application/x-ole-storage', extension: '.bin', type: MediaType.DOCUMENT };
    assert.deepEqual(sniff(samples.ole, 'notes.docx'), ole, 'an OLE file cannot be an Office Open XML file');
    assert.deepEqual(sniff(samples.ole, 'mail.msg'), ole);
  });
});

describe('sniff: videos', () => {
  for (const [name, sample, mimeType, extension] of [
    ['MP4', samples.mp4, 'video/mp4', '.mp4'],
    ['QuickTime', samples.mov, 'video/quicktime', '.mov'],
    ['AVI', samples.avi, 'video/x-msvideo', '.avi'],
    ['Matroska', samples.mkv, 'video/x-matroska', '.mkv'],
    ['WebM', samples.webm, 'video/webm', '.webm'],
    ['FLV', samples.flv, 'video/x-flv', '.flv'],
    ['MPEG-TS', samples.ts, 'video/mp2t', '.ts'],
  ] as const) {
    test(`${name} is a video`, () => {
      assert.deepEqual(sniff(sample, 'lecture.bin'), { mimeType, extension, type: MediaType.VIDEO });
    });
  }

  test('AVI and WebP share RIFF but are told apart', () => {
    assert.equal(sniff(samples.avi, 'x.webp')?.type, MediaType.VIDEO);
    assert.equal(sniff(samples.webp, 'x.avi')?.type, MediaType.IMAGE);
  });
});

describe('sniff: text', () => {
  const chinese = '第一章 微服务入门\n本课程讲解 Spring Cloud 与分布式事务。\n';

  test('UTF-8 text is a plain-text document; .md and .csv keep their own type', () => {
    assert.deepEqual(sniff(Buffer.from('Hello, learners!\n'), 'readme.txt'), {
      mimeType: 'text/plain',
      extension: '.txt',
      type: MediaType.DOCUMENT,
    });
    assert.deepEqual(sniff(Buffer.from(chinese), 'notes'), {
      mimeType: 'text/plain',
      extension: '.txt',
      type: MediaType.DOCUMENT,
    });
    assert.deepEqual(sniff(Buffer.from('# 标题\n'), 'README.md'), {
      mimeType: 'text/markdown',
      extension: '.md',
      type: MediaType.DOCUMENT,
    });
    assert.deepEqual(sniff(Buffer.from('name,score\n张三,90\n'), 'scores.csv'), {
      mimeType: 'text/csv',
      extension: '.csv',
      type: MediaType.DOCUMENT,
    });
  });

  test('Chinese text cut mid-character at the end of the sample is still text', () => {
    const whole = Buffer.from(chinese.repeat(200));
    assert.ok(whole.length > SNIFF_BYTES);
    // Each Chinese character is three bytes: cut "一" after one and after two of its bytes.
    const start = Buffer.from('第').length;
    for (const cut of [start + 1, start + 2]) {
      const head = whole.subarray(0, cut);
      assert.throws(
        () => new TextDecoder('utf-8', { fatal: true }).decode(head),
        TypeError,
        'the sample really is cut mid-character',
      );
      assert.equal(sniff(head, 'notes.txt')?.mimeType, 'text/plain', `cut at byte ${cut}`);
    }
    // The same, at the sniffing window's edge, as an upload hands it over.
    assert.equal(sniff(whole.subarray(0, SNIFF_BYTES), 'notes.txt')?.mimeType, 'text/plain');
  });

  test('a four-byte character cut after three bytes is still text', () => {
    const head = Buffer.from('学习 😀').subarray(0, -1);
    assert.equal(sniff(head, 'emoji.txt')?.type, MediaType.DOCUMENT);
  });

  test('a text-looking name does not make binary data text', () => {
    assert.equal(sniff(bytes('ab', [0x00], 'cd'), 'notes.txt'), undefined, 'NUL bytes are not text');
  });
});

describe('sniff: unknown data', () => {
  test('nothing at all is unknown', () => {
    assert.equal(sniff(Buffer.alloc(0), 'empty.txt'), undefined);
  });

  test('an executable is unknown', () => {
    const elf = bytes([0x7f], 'ELF', [0x02, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x3e, 0x00]);
    assert.equal(sniff(elf, 'setup.pdf'), undefined);
  });

  test('binary garbage without NUL bytes is unknown (invalid UTF-8 before the last bytes)', () => {
    const garbage = bytes([
      0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0x80, 0x81, 0xfe, 0xfd, 0x41, 0x42, 0x43, 0x44,
      0x45,
    ]);
    assert.equal(sniff(garbage, 'data.txt'), undefined);
  });

  test('deterministic noise is unknown', () => {
    const noise = Buffer.alloc(SNIFF_BYTES);
    let state = 0x2545f491;
    for (let i = 0; i < noise.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      noise[i] = state & 0xff;
    }
    noise[0] = 0x13; // not the first byte of any format above
    noise[188] = 0x00;
    assert.equal(sniff(noise, 'blob.docx'), undefined);
  });

  test('a lone 0x47 byte is not a transport stream', () => {
    const notTs = Buffer.alloc(400, 0x01);
    notTs[0] = 0x47;
    notTs[100] = 0x00;
    assert.equal(sniff(notTs, 'clip.ts'), undefined);
  });
});
