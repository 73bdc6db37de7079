// biome-ignore-all lint/suspicious/noTemplateCurlyInString: '${7*7}' among the nasty strings is a template-injection probe.
import { seededRandom } from '@learnhub/platform/random';
import type { RawRequest } from './raw-http-exchange';

/** A request meant to break the gateway or a subgraph behind it, and what kind of attack it is. */
export interface HostileRequest extends RawRequest {
  /** e.g. `multipart/part-header`, `json/bad-encoding`, `mutation/createCourse`, `method-path/files`. */
  kind: string;
  /** Which front door it knocks on: the answers are judged differently. */
  target: 'graphql' | 'files';
}

/** Real ids the mutations point at, so the hostile text reaches validation rather than a NOT_FOUND. */
export interface HostileTargets {
  memberToken: string;
  courseId: string;
  chapterId: string;
  mediaId: string;
  /** The path part of a real media URL (`/files/...`), with its query string if it has one. */
  filePath: string;
}

/** Seeded helpers over one mulberry32 series: the same seed gives the same requests. */
class Dice {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** Pieces of text that have broken parsers, databases, renderers or terminals somewhere. */
const NASTY = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ufffe',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\udc00\ud800',
  '😀',
  '👩‍👩‍👧',
  '🇨🇳',
  'é',
  'e\u0301',
  'Z̤͔ͧ̑̓',
  'مرحبا',
  'שלום',
  '协程',
  '𠀀',
  'ｆｕｌｌ',
  "'",
  '"',
  '\\',
  '`',
  '%',
  '_',
  '%_%',
  '--',
  ';',
  "' OR 1=1 --",
  '"; DROP TABLE course_base; --',
  "\\'",
  '\\u0000',
  '<script>alert(1)</script>',
  '</textarea>',
  '${7*7}',
  '{{7*7}}',
  '../',
  '..\\',
  '/etc/passwd',
  'C:\\con',
  'NaN',
  'null',
  'undefined',
  '-1',
  '1e309',
  '0x10',
  '   ',
  '',
  'a',
  'Kotlin',
  'Spring 微服务',
];

/** Text made of hostile pieces, random code points (lone surrogates included) and sometimes a lot of it. */
function hostileText(dice: Dice): string {
  const roll = dice.next();
  if (roll < 0.04) return dice.pick(NASTY).repeat(1 + dice.int(20_000));
  if (roll < 0.06) return 'x'.repeat(100 + dice.int(6000));
  let text = '';
  const pieces = 1 + dice.int(8);
  for (let i = 0; i < pieces; i++) {
    if (dice.chance(0.25)) {
      const codePoint = dice.chance(0.5) ? dice.int(0x10000) : dice.int(0x110000);
      text += String.fromCodePoint(codePoint);
    } else {
      text += dice.pick(NASTY);
    }
  }
  return text;
}

const UPLOAD =
  'mutation Upload($file: Upload!, $input: UploadFileInput) { uploadFile(file: $file, input: $input) { id fileName url tags remark } }';
const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** A JSON string value holding invalid UTF-8 (or CESU surrogates, or overlongs) where `marker` stood. */
const BAD_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe4, 0xb8]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0x80, 0x80, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0x00]),
];

/** The seeded stream of hostile requests. */
export class HostileRequestGenerator {
  private readonly dice: Dice;

  constructor(
    seed: number,
    private readonly targets: HostileTargets,
  ) {
    this.dice = new Dice(seed);
  }

  next(): HostileRequest {
    const roll = this.dice.next();
    if (roll < 0.3) return this.multipart();
    if (roll < 0.48) return this.badJson();
    if (roll < 0.85) return this.realOperation();
    return this.methodAndPath();
  }

  private auth(): Record<string, string> {
    const roll = this.dice.next();
    if (roll < 0.65) return { authorization: `Bearer ${this.targets.memberToken}` };
    if (roll < 0.75)
      return {
        authorization: this.dice.pick([
          'Bearer',
          'Bearer ',
          'Basic Zm9vOmJhcg==',
          `Bearer ${this.targets.memberToken.slice(0, -3)}abc`,
          'Bearer a.b.c',
          `Bearer ${'x'.repeat(3000)}`,
        ]),
      };
    return {};
  }

  private text(valid: string): string {
    return this.dice.chance(0.6) ? hostileText(this.dice) : valid;
  }

  // ---- multipart -------------------------------------------------------------------------

  private multipart(): HostileRequest {
    const d = this.dice;
    let boundary = d.chance(0.85)
      ? `----hostile${d.int(1e9)}`
      : d.pick(['x', 'a'.repeat(71 + d.int(200)), '"quoted boundary"', '--', 'with space', '+/=?:', 'é']);
    const file = d.pick([
      () => Buffer.concat([PNG_HEAD, d.bytes(50 + d.int(2000))]),
      () => Buffer.concat([Buffer.from('%PDF-1.7\n'), d.bytes(50 + d.int(2000))]),
      () => d.bytes(d.int(3000)),
      () => Buffer.alloc(0),
      () => Buffer.from('RIFF\0\0\0\0AVI LIST'),
    ])();
    const input = d.chance(0.7)
      ? { tags: this.text('讲义'), remark: this.text('remark') }
      : d.pick([null, 'str', 5, [1], { tags: 5 }]);
    let operations = JSON.stringify({ query: UPLOAD, variables: { file: null, input } });
    let map = JSON.stringify({ 0: ['variables.file'] });
    let fileName = d.chance(0.5) ? 'slides.pdf' : hostileText(d);
    let fieldName = '0';
    let partType = d.pick(['application/pdf', 'image/png', 'application/octet-stream']);
    const mutations = new Set<string>();
    const count = 1 + d.int(3);
    const kinds = [
      'filename',
      'filename*',
      'field-name',
      'part-type',
      'no-colon',
      'huge-header',
      'many-headers',
      'operations',
      'map',
      'boundary',
      'truncate',
      'cut',
      'empty',
      'lf-only',
      'extra-files',
      'no-preflight',
      'random-bytes',
      'order',
    ];
    for (let i = 0; i < count; i++) mutations.add(d.pick(kinds));

    const headerBytes = (text: string) => Buffer.from(text, d.chance(0.8) ? 'utf8' : 'latin1');
    const extraPartHeaders: Buffer[] = [];
    if (mutations.has('filename')) fileName = hostileText(d) + d.pick(['', '.pdf', '"', '\r\n', '\\']);
    if (mutations.has('field-name'))
      fieldName = d.pick([
        hostileText(d),
        '',
        '"',
        'operations',
        'map',
        '__proto__',
        'constructor',
        '0\r\nX-Injected: 1',
      ]);
    if (mutations.has('part-type'))
      partType = d.pick([
        hostileText(d),
        '',
        'video/mp4',
        'text/html; charset=\u0001',
        'multipart/mixed; boundary=inner',
        'x'.repeat(20_000),
      ]);
    if (mutations.has('operations'))
      operations = d.pick([
        hostileText(d),
        '{',
        '[]',
        'null',
        '{"query":5}',
        JSON.stringify({ query: UPLOAD }),
        JSON.stringify([{ query: UPLOAD, variables: { file: null } }]),
        JSON.stringify({ query: '{ __typename }', variables: { file: null } }),
      ]);
    if (mutations.has('map'))
      map = d.pick([
        hostileText(d),
        '{',
        '[]',
        '{"0":"variables.file"}',
        '{"0":["variables.nothing"]}',
        '{"0":["variables.file"],"1":["variables.file"]}',
        '{"0":[]}',
        '{"0":["__proto__.polluted"]}',
        '{"0":["variables.file.deep.deeper"]}',
      ]);
    if (mutations.has('no-colon'))
      extraPartHeaders.push(
        headerBytes(d.pick(['broken header line', hostileText(d), 'Content-Type application/pdf'])),
      );
    if (mutations.has('huge-header'))
      extraPartHeaders.push(Buffer.from(`X-Huge: ${'h'.repeat(8_000 + d.int(100_000))}`));
    if (mutations.has('many-headers'))
      for (let i = 0; i < 200 + d.int(2000); i++) extraPartHeaders.push(Buffer.from(`X-Many-${i}: v`));
    if (mutations.has('random-bytes')) extraPartHeaders.push(d.bytes(1 + d.int(300)));

    const filenameParam = mutations.has('filename*')
      ? `filename*=UTF-8''${[...d.bytes(1 + d.int(40))].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`
      : d.chance(0.1)
        ? `filename=${fileName}`
        : `filename="${fileName}"`;
    const part = (name: string, value: Buffer, headers: Buffer[] = []) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\n`),
        headerBytes(`Content-Disposition: form-data; name="${name}"`),
        Buffer.from('\r\n'),
        ...headers.flatMap((h) => [h, Buffer.from('\r\n')]),
        Buffer.from('\r\n'),
        value,
        Buffer.from('\r\n'),
      ]);
    const filePart = Buffer.concat([
      Buffer.from(`--${boundary}\r\n`),
      headerBytes(`Content-Disposition: form-data; name="${fieldName}"; ${filenameParam}`),
      Buffer.from('\r\n'),
      headerBytes(`Content-Type: ${partType}`),
      Buffer.from('\r\n'),
      ...extraPartHeaders.flatMap((h) => [h, Buffer.from('\r\n')]),
      Buffer.from('\r\n'),
      file,
      Buffer.from('\r\n'),
    ]);
    let parts = [part('operations', Buffer.from(operations)), part('map', Buffer.from(map)), filePart];
    if (mutations.has('order'))
      parts = d.pick([
        [parts[2], parts[0], parts[1]],
        [parts[1], parts[0], parts[2]],
        [parts[0], parts[0], parts[1], parts[2]],
        [parts[0], parts[2]],
      ]);
    if (mutations.has('extra-files'))
      for (let i = 1; i <= 1 + d.int(12); i++)
        parts.push(part(String(i), d.bytes(10), [Buffer.from(`Content-Type: application/pdf`)]).subarray(0));
    let body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
    if (mutations.has('lf-only')) body = Buffer.from(body.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    if (mutations.has('empty')) body = Buffer.alloc(0);
    let cutAfter: number | undefined;
    if (mutations.has('truncate') && body.length > 0) body = body.subarray(0, d.int(body.length));
    if (mutations.has('cut') && body.length > 0) cutAfter = d.int(body.length);

    let contentType = `multipart/form-data; boundary=${boundary}`;
    if (mutations.has('boundary')) {
      contentType = d.pick([
        'multipart/form-data',
        'multipart/form-data; boundary=',
        `multipart/form-data; boundary=other${d.int(1000)}`,
        `multipart/form-data; boundary="${boundary}"`,
        `multipart/form-data; boundary=${boundary}; boundary=second`,
        `multipart/mixed; boundary=${boundary}`,
        `multipart/form-data; charset=utf-16; boundary=${boundary}`,
        `Multipart/Form-Data; BOUNDARY=${boundary}`,
      ]);
    }
    // The HTTP header itself stays printable: a broken request line is Node's to refuse, not ours.
    contentType = contentType.replace(/[^\x20-\x7e]/g, '?');
    boundary = boundary.replace(/[^\x20-\x7e]/g, '?');
    const headers: Record<string, string> = { 'content-type': contentType, ...this.auth() };
    if (!mutations.has('no-preflight')) headers['apollo-require-preflight'] = 'true';
    return {
      kind: `multipart/${[...mutations].sort().join('+')}`,
      target: 'graphql',
      method: 'POST',
      path: '/graphql',
      headers,
      body,
      cutAfter,
    };
  }

  // ---- bad JSON --------------------------------------------------------------------------

  private badJson(): HostileRequest {
    const d = this.dice;
    const valid = JSON.stringify({
      query: 'query($k: String) { searchCourses(input: { keyword: $k }) { total } }',
      variables: { k: '@@MARK@@' },
    });
    const variants: [string, () => { body: Buffer; contentType?: string }][] = [
      ['truncated', () => ({ body: Buffer.from(valid.slice(0, d.int(valid.length))) })],
      ['random-bytes', () => ({ body: d.bytes(d.int(4000)) })],
      [
        'bom',
        () => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid.replace('@@MARK@@', 'x'))]) }),
      ],
      [
        'utf16le',
        () => ({
          body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid.replace('@@MARK@@', '协程'), 'utf16le')]),
          contentType: d.pick(['application/json', 'application/json; charset=utf-16']),
        }),
      ],
      [
        'utf16be',
        () => ({
          body: Buffer.from(valid.replace('@@MARK@@', 'x'), 'utf16le').swap16(),
          contentType: 'application/json; charset=utf-16be',
        }),
      ],
      [
        'odd-charset',
        () => ({
          body: Buffer.from(valid.replace('@@MARK@@', 'x')),
          contentType: d.pick([
            'application/json; charset=latin1',
            'application/json; charset=bogus',
            'application/json; charset=utf-32',
            'application/json; charset="utf-8"; charset=x',
          ]),
        }),
      ],
      [
        'invalid-utf8',
        () => {
          const [before, after] = valid.split('@@MARK@@');
          return { body: Buffer.concat([Buffer.from(before), d.pick(BAD_UTF8), Buffer.from(after)]) };
        },
      ],
      [
        'wrong-shape',
        () => ({
          body: Buffer.from(
            d.pick([
              '[]',
              '{}',
              'null',
              '"query"',
              '5',
              'true',
              '{"query":5}',
              '{"query":null}',
              '{"query":["{__typename}"]}',
              '[{"query":"{ __typename }"},{"query":"{ __typename }"}]',
              '{"query":"{ __typename }","variables":[]}',
              '{"query":"{ __typename }","variables":"x"}',
              '{"query":"{ __typename }","operationName":5}',
              '{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}',
              '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}',
              '{"query":"{ __typename }","query":"{ x }"}',
              '{"query":"{ __typename }","variables":{"__proto__":{"polluted":1}}}',
              '{"query":"{ __typename }","variables":{"k":1e400}}',
              `{"query":"{ __typename }","variables":${'['.repeat(5000)}${']'.repeat(5000)}}`,
              '{"query":"' + '{'.repeat(3000) + '"}',
            ]),
          ),
        }),
      ],
      [
        'huge-string',
        () => ({ body: Buffer.from(valid.replace('@@MARK@@', 'y'.repeat(d.chance(0.5) ? 900_000 : 1_200_000))) }),
      ],
      [
        'content-type',
        () => ({
          body: Buffer.from(valid.replace('@@MARK@@', 'x')),
          contentType: d.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/graphql',
            '',
            'application/jsonx',
            'application/json, text/html',
            '*/*',
          ]),
        }),
      ],
    ];
    const [name, build] = d.pick(variants);
    const { body, contentType = 'application/json' } = build();
    const headers: Record<string, string> = { ...this.auth() };
    if (contentType) headers['content-type'] = contentType;
    return { kind: `json/${name}`, target: 'graphql', method: 'POST', path: '/graphql', headers, body };
  }

  // ---- real operations with hostile text --------------------------------------------------

  private realOperation(): HostileRequest {
    const d = this.dice;
    const t = this.targets;
    const id = (real: string) => (d.chance(0.8) ? real : hostileText(d));
    const int = (valid: number) =>
      d.chance(0.7) ? valid : d.pick([-1, 0, 2 ** 31, 1e30, 1.5, -(2 ** 53), Number.MAX_SAFE_INTEGER]);
    const operations: [string, () => { query: string; variables: Record<string, unknown> }][] = [
      [
        'createCourse',
        () => ({
          query: 'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id name } }',
          variables: {
            input: {
              name: this.text('Kotlin 入门'),
              audience: this.text('开发者'),
              tags: this.text('Kotlin'),
              mt: id('1-3'),
              st: id('1-3-1'),
              grade: 'BEGINNER',
              teachingMode: 'RECORDED',
              description: this.text('说明'),
              charge: d.pick(['FREE', 'PAID']),
              price: this.text('99'),
              originalPrice: d.chance(0.5) ? this.text('199') : undefined,
              qq: this.text('123456'),
              wechat: this.text('wx'),
              phone: this.text('13800000000'),
              validDays: int(365),
            },
          },
        }),
      ],
      [
        'updateCourse',
        () => ({
          query: 'mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id name } }',
          variables: {
            id: id(t.courseId),
            input: {
              name: this.text('Kotlin'),
              audience: this.text('人'),
              tags: this.text('t'),
              description: this.text('d'),
              wechat: this.text('w'),
              qq: this.text('12345'),
              price: this.text('1'),
            },
          },
        }),
      ],
      [
        'saveTeachplan',
        () => ({
          query: 'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id name } }',
          variables: {
            input: {
              courseId: id(t.courseId),
              parentId: d.chance(0.5) ? id(t.chapterId) : undefined,
              name: this.text('1.1 节'),
              description: this.text('d'),
              startTime: d.chance(0.2) ? this.text('2026-01-01T00:00:00Z') : undefined,
              durationSeconds: d.chance(0.3) ? int(60) : undefined,
            },
          },
        }),
      ],
      [
        'saveCourseTeacher',
        () => ({
          query: 'mutation($input: SaveCourseTeacherInput!) { saveCourseTeacher(input: $input) { id name } }',
          variables: {
            input: {
              courseId: id(t.courseId),
              name: this.text(`老师${d.int(1e6)}`),
              position: this.text('讲师'),
              introduction: this.text('介绍'),
              photoMediaId: d.chance(0.2) ? id(t.mediaId) : undefined,
            },
          },
        }),
      ],
      [
        'mediaFiles',
        () => ({
          query:
            'query($filter: MediaFilter, $page: PageInput) { mediaFiles(filter: $filter, page: $page) { total items { id fileName } } }',
          variables: {
            filter: {
              name: this.text('讲义'),
              createdFrom: d.chance(0.3) ? this.text('2020-01-01T00:00:00Z') : undefined,
              createdTo: d.chance(0.2) ? hostileText(d) : undefined,
            },
            page: d.chance(0.4) ? { page: int(1), size: int(10) } : undefined,
          },
        }),
      ],
      [
        'searchCourses',
        () => ({
          query: 'query($input: CourseSearchInput) { searchCourses(input: $input) { total hits { id name } } }',
          variables: {
            input: {
              keyword: this.text('协程'),
              mt: d.chance(0.2) ? hostileText(d) : undefined,
              st: d.chance(0.1) ? hostileText(d) : undefined,
            },
          },
        }),
      ],
      [
        'byId',
        () => ({
          query: d.pick([
            'query($id: ID!) { course(id: $id) { id name } }',
            'query($id: ID!) { media(id: $id) { id fileName } }',
            'query($id: ID!) { publishedCourse(id: $id) { id } }',
            'query($id: ID!) { coursePreview(id: $id) { html } }',
          ]),
          variables: { id: id(d.pick([t.courseId, t.mediaId])) },
        }),
      ],
      [
        'inline-literal',
        () => ({
          // The text goes into the document itself, escaped as JSON escapes it (GraphQL strings accept the same escapes).
          query: `{ searchCourses(input: { keyword: ${JSON.stringify(hostileText(d))} }) { total } mediaFiles(filter: { name: ${JSON.stringify(hostileText(d))} }) { total } }`,
          variables: {},
        }),
      ],
    ];
    const [name, build] = d.pick(operations);
    const payload = build();
    const body = Buffer.from(JSON.stringify(payload));
    return {
      kind: `operation/${name}`,
      target: 'graphql',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', ...this.auth() },
      body,
    };
  }

  // ---- methods and paths -----------------------------------------------------------------

  private methodAndPath(): HostileRequest {
    const d = this.dice;
    // Methods Node's HTTP parser knows: an unknown one is refused by Node itself, below the application.
    const method = d.pick([
      'GET',
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'MKCOL',
      'LOCK',
      'SEARCH',
      'PURGE',
      'REPORT',
    ]);
    const encoded = encodeURIComponent(hostileText(d).replace(/[\ud800-\udfff]/g, '?')).slice(0, 6000);
    const files = d.chance(0.5);
    const [file] = this.targets.filePath.split('?');
    const path = files
      ? d.pick([
          '/files',
          '/files/',
          this.targets.filePath,
          file,
          `${file}?signature=x&expires=1`,
          `${file}?expires=99999999999&signature=${'0'.repeat(64)}`,
          `/files/${encoded}`,
          '/files/..%2f..%2fetc%2fpasswd',
          '/files/%2e%2e/%2e%2e/x',
          '/files/a%00b',
          '/files/%ff%fe%fd',
          '/files/%zz',
          `/files/${'a'.repeat(1 + d.int(6000))}`,
          `${file}/extra`,
          '/files/video/../mediafiles/x',
          '/files//double',
          `/files/mediafiles/${encoded}.png`,
          `/files/course/${encoded}.html`,
        ])
      : d.pick([
          '/graphql',
          '/graphql/',
          '/graphql/x',
          `/graphql/${encoded}`,
          `/graphql?query=${encodeURIComponent('{ __typename }')}`,
          `/graphql?query=${encoded}`,
          '/graphql?query=%zz',
          `/graphql?query=${encodeURIComponent('mutation { deleteMedia(id: "x") }')}`,
          `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encoded}`,
          '/graphql?extensions=%7B',
          '/graphql;x',
          '/GRAPHQL',
        ]);
    const headers: Record<string, string> = { ...this.auth() };
    if (d.chance(0.3)) headers['apollo-require-preflight'] = 'true';
    if (d.chance(0.2))
      headers.range = d.pick([
        'bytes=0-10',
        'bytes=-5',
        'bytes=99999999-',
        'bytes=5-1',
        'bytes=0-1,2-3',
        'lines=1-2',
        `bytes=${'9'.repeat(40)}-`,
      ]);
    if (d.chance(0.2)) headers['content-type'] = d.pick(['application/json', 'text/plain', 'multipart/form-data']);
    const body = method === 'GET' || method === 'HEAD' || d.chance(0.5) ? undefined : d.bytes(d.int(200));
    return {
      kind: `method-path/${files ? 'files' : 'graphql'}/${method}`,
      target: files ? 'files' : 'graphql',
      method,
      path,
      headers,
      body,
    };
  }
}
