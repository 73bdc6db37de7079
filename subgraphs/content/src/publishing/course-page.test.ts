import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import { renderCoursePage } from './course-page';
import type { CoursePageModel, PageMedia } from './course-page-model';
import type { CourseSnapshot, SnapshotTeachplanNode } from './course-snapshot';

const COVER_ID = 'c0000000000000000000000000000000';
const INTRO_VIDEO_ID = 'v1000000000000000000000000000000';
const LESSON_VIDEO_ID = 'v2000000000000000000000000000000';
const SLIDES_ID = 'd1000000000000000000000000000000';
const PHOTO_ID = 'p1000000000000000000000000000000';

const INTRO_URL = 'https://media.learnhub.test/v1/intro.mp4';
const LESSON_URL = 'https://media.learnhub.test/v2/lesson.mp4';
const SLIDES_URL = '/files/d1/slides.pdf';

const section = (
  id: string,
  order: number,
  name: string,
  extra: Partial<SnapshotTeachplanNode> = {},
): SnapshotTeachplanNode => ({
  id,
  parentId: null,
  grade: 2,
  name,
  order,
  preview: false,
  children: [],
  ...extra,
});
const chapter = (
  id: string,
  order: number,
  name: string,
  children: SnapshotTeachplanNode[],
): SnapshotTeachplanNode => ({
  id,
  parentId: null,
  grade: 1,
  name,
  order,
  preview: false,
  children,
});

/** A paid recorded course; arrays deliberately out of order to show the page sorts by `order`. */
function sampleCourse(): CourseSnapshot {
  return {
    id: 'course-1',
    organisationId: 'org-1',
    name: 'Spring Cloud 微服务实战',
    audience: '有 Java 基础的后端开发者',
    tags: 'Java, 微服务，Spring Cloud',
    mt: '1-3',
    mtName: '编程开发',
    st: '1-3-2',
    stName: 'Java',
    grade: CourseGrade.INTERMEDIATE,
    teachingMode: TeachingMode.RECORDED,
    description: '从单体到微服务。\n逐步拆分一个电商系统。',
    coverMediaId: COVER_ID,
    market: {
      charge: Charge.PAID,
      price: '199.00',
      originalPrice: '299.00',
      qq: '123456',
      wechat: 'learnhub-java',
      phone: '400-800-8000',
    },
    teachplan: [
      chapter('ch-2', 2, '服务治理', [
        section('s-2-2', 2, '熔断与降级', { mediaId: SLIDES_ID, mediaFileName: 'slides.pdf' }),
        section('s-2-1', 1, '注册中心', {
          mediaId: LESSON_VIDEO_ID,
          mediaFileName: 'lesson.mp4',
          durationSeconds: 725,
        }),
      ]),
      chapter('ch-1', 1, '课程导学', [
        section('s-1-1', 1, '课程介绍', {
          mediaId: INTRO_VIDEO_ID,
          mediaFileName: 'intro.mp4',
          preview: true,
          durationSeconds: 95,
        }),
      ]),
    ],
    teachers: [
      {
        id: 't-1',
        name: '王老师',
        position: '资深架构师',
        introduction: '十年分布式系统经验。',
        photoMediaId: PHOTO_ID,
        createdAt: '2024-01-01T00:00:00.000Z',
      },
      { id: 't-2', name: '李老师', position: '高级工程师', createdAt: '2024-01-02T00:00:00.000Z' },
    ],
    takenAt: '2024-03-01T00:00:00.000Z',
  };
}

function sampleMedia(): Map<string, PageMedia> {
  const items: PageMedia[] = [
    {
      id: COVER_ID,
      type: 'IMAGE',
      fileName: 'cover.png',
      url: 'https://media.learnhub.test/cover.png',
      playable: true,
    },
    {
      id: INTRO_VIDEO_ID,
      type: 'VIDEO',
      fileName: 'intro.mp4',
      url: INTRO_URL,
      playable: true,
      posterUrl: 'https://media.learnhub.test/v1/poster.jpg',
    },
    { id: LESSON_VIDEO_ID, type: 'VIDEO', fileName: 'lesson.mp4', url: LESSON_URL, playable: true },
    { id: SLIDES_ID, type: 'DOCUMENT', fileName: 'slides.pdf', url: SLIDES_URL, playable: true },
    { id: PHOTO_ID, type: 'IMAGE', fileName: 'wang.jpg', url: '/files/p1/wang.jpg', playable: true },
  ];
  return new Map(items.map((item) => [item.id, item]));
}

const page = (overrides: Partial<CoursePageModel> = {}, course: CourseSnapshot = sampleCourse()) =>
  renderCoursePage({ mode: 'preview', course, media: sampleMedia(), ...overrides });

const published = (course: CourseSnapshot = sampleCourse(), media: ReadonlyMap<string, PageMedia> = sampleMedia()) =>
  renderCoursePage({ mode: 'published', course, media, publishedAt: '2024-03-02T16:30:00.000Z', version: 3 });

/** Asserts that the needles occur in `html` in this order. */
function assertInOrder(html: string, needles: string[]) {
  let from = 0;
  for (const needle of needles) {
    const at = html.indexOf(needle, from);
    assert.ok(at >= 0, `expected ${JSON.stringify(needle)} after position ${from}`);
    from = at + needle.length;
  }
}

const jsonLdPattern = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/;
const withoutJsonLd = (html: string) => html.replace(jsonLdPattern, '');
const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

describe('course page', () => {
  test('a full sample renders as a Chinese course page with its plan, price and teachers', () => {
    const html = page();
    assert.match(html, /^<!doctype html>\n<html lang="zh-CN">/);
    assert.ok(html.includes('<meta charset="utf-8">'));
    assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
    assert.ok(html.includes('<title>Spring Cloud 微服务实战</title>'));
    assert.ok(html.includes('<meta name="description" content="从单体到微服务。 逐步拆分一个电商系统。">'));
    assert.ok(
      html.includes('<img class="cover" src="https://media.learnhub.test/cover.png" alt="Spring Cloud 微服务实战">'),
    );
    assert.match(
      html,
      /<nav class="crumbs"[^>]*><span>编程开发<\/span><span class="sep">\/<\/span><span>Java<\/span><\/nav>/,
    );
    assert.ok(html.includes('<li class="label">中级</li>'));
    assert.ok(html.includes('<li class="label">录播</li>'));
    assertInOrder(html, [
      '<li class="tag">Java</li>',
      '<li class="tag">微服务</li>',
      '<li class="tag">Spring Cloud</li>',
    ]);
    assert.ok(html.includes('有 Java 基础的后端开发者'));
    assert.ok(html.includes('从单体到微服务。<br>逐步拆分一个电商系统。'));
    assert.ok(html.includes('共 2 章 3 节 · 总时长 13:40'));
    assertInOrder(html, [
      '第 1 章　课程导学',
      '1-1',
      '课程介绍',
      '试看',
      '1:35',
      '第 2 章　服务治理',
      '2-1',
      '注册中心',
      '12:05',
      '2-2',
      '熔断与降级',
    ]);
    assert.ok(html.includes('<div class="price">¥199.00<del>¥299.00</del></div>'));
    assert.ok(html.includes('<dt>有效期</dt><dd>长期有效</dd>'));
    assertInOrder(html, [
      '<dt>QQ</dt><dd>123456</dd>',
      '<dt>微信</dt><dd>learnhub-java</dd>',
      '<dt>电话</dt><dd>400-800-8000</dd>',
    ]);
    assertInOrder(html, [
      '<img class="avatar" src="/files/p1/wang.jpg" alt="王老师">',
      '资深架构师',
      '十年分布式系统经验。',
      '李',
      '李老师',
      '高级工程师',
    ]);
  });

  test('a preview is marked as such, links every section and stays out of search engines', () => {
    const html = page();
    assert.ok(html.includes('<strong>预览</strong>草稿预览'));
    assert.ok(html.includes('<meta name="robots" content="noindex">'));
    assert.ok(
      html.includes(
        `<video controls preload="metadata" src="${INTRO_URL}" poster="https://media.learnhub.test/v1/poster.jpg">`,
      ),
    );
    assert.ok(html.includes(`<video controls preload="metadata" src="${LESSON_URL}">`));
    assert.ok(html.includes(`<a class="download" href="${SLIDES_URL}" download>下载资料：slides.pdf</a>`));
    assert.ok(!html.includes('购买后观看'));
    assert.ok(!jsonLdPattern.test(html), 'no structured data for a draft');
    assert.ok(!html.includes('发布于'));
  });

  test('the published page plays preview sections only and locks the rest', () => {
    const html = published();
    assert.ok(!html.includes('草稿预览'));
    assert.ok(!html.includes('noindex'));
    assert.ok(html.includes(`<video controls preload="metadata" src="${INTRO_URL}"`));
    assert.ok(!html.includes(LESSON_URL), 'a locked video URL must not leak into the page');
    assert.ok(!html.includes(SLIDES_URL), 'a locked document URL must not leak into the page');
    assert.equal(html.match(/<video /g)?.length, 1);
    assert.equal(html.match(/class="media-note">购买后观看</g)?.length, 2);
    assert.ok(html.includes('<footer>发布于 2024-03-03 · 第 3 版</footer>'), 'dates are shown in China time');
  });

  test('a free course is 免费, with its validity, and locks sections behind enrolment rather than purchase', () => {
    const course = sampleCourse();
    course.market = { charge: Charge.FREE, price: '0.00', validDays: 365 };
    const html = published(course);
    assert.ok(html.includes('<div class="price free">免费</div>'));
    assert.ok(!html.includes('¥'));
    assert.ok(!html.includes('<del>'));
    assert.ok(html.includes('<dt>有效期</dt><dd>365 天</dd>'));
    assert.ok(!html.includes('<dt>QQ</dt>'));
    assert.ok(html.includes('报名后观看'));
    assert.ok(!html.includes('购买后观看'));
  });

  test('a paid course without an original price shows the price alone', () => {
    const course = sampleCourse();
    course.market = { charge: Charge.PAID, price: '49.90' };
    assert.ok(page({}, course).includes('<div class="price">¥49.90</div>'));
  });

  test('the offline page names the course, says it is withdrawn and shows no media at all', () => {
    const html = renderCoursePage({
      mode: 'offline',
      course: sampleCourse(),
      media: sampleMedia(),
      publishedAt: '2024-03-02T00:00:00.000Z',
      version: 3,
    });
    assert.ok(html.includes('<title>Spring Cloud 微服务实战</title>'));
    assert.ok(html.includes('<h1>Spring Cloud 微服务实战</h1>'));
    assert.ok(html.includes('该课程已下架'));
    assert.ok(html.includes('<meta name="robots" content="noindex">'));
    assert.ok(!html.includes('<video'));
    assert.ok(!html.includes('<a '));
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('media.learnhub.test'));
    assert.ok(!html.includes('/files/'));
    assert.ok(!jsonLdPattern.test(html));
  });

  test('missing, transcoding and unusable media are shown as such', () => {
    const media = sampleMedia();
    media.delete(SLIDES_ID);
    media.set(LESSON_VIDEO_ID, { ...media.get(LESSON_VIDEO_ID)!, playable: false });
    media.set(INTRO_VIDEO_ID, { ...media.get(INTRO_VIDEO_ID)!, url: '' });
    media.set(COVER_ID, { ...media.get(COVER_ID)!, playable: false });
    const html = renderCoursePage({ mode: 'preview', course: sampleCourse(), media });
    assert.ok(!html.includes('<video'));
    assert.ok(!html.includes('<a '));
    assert.ok(!html.includes('class="cover"'));
    assertInOrder(html, [
      '课程介绍',
      '<p class="media-note">媒资不可用</p>',
      '注册中心',
      '<p class="media-note">视频转码中，暂不可播放</p>',
      '熔断与降级',
      '<p class="media-note">媒资不可用</p>',
    ]);
  });

  test('every user-supplied text is escaped, in text and in attributes', () => {
    const payload = (field: string) => `${field}<script>alert(1)</script>"onmouseover=alert(2) 'x' & y`;
    const course = sampleCourse();
    Object.assign(course, {
      name: payload('name'),
      audience: payload('audience'),
      tags: payload('tags'),
      mtName: payload('mtName'),
      stName: payload('stName'),
      description: payload('description'),
    });
    course.market = {
      charge: Charge.PAID,
      price: '199.00',
      qq: payload('qq'),
      wechat: payload('wechat'),
      phone: payload('phone'),
    };
    const [intro] = course.teachplan[1].children;
    Object.assign(course.teachplan[1], { name: payload('chapter') });
    Object.assign(intro, { name: payload('section'), description: payload('sectionDescription') });
    // Made a preview section so the published page shows its file name too.
    Object.assign(course.teachplan[0].children[0], { mediaFileName: payload('fileName'), preview: true });
    Object.assign(course.teachers[0], {
      name: payload('teacher'),
      position: payload('position'),
      introduction: payload('introduction'),
    });
    const fields = [
      'name',
      'audience',
      'tags',
      'mtName',
      'stName',
      'description',
      'qq',
      'wechat',
      'phone',
      'chapter',
      'section',
      'sectionDescription',
      'fileName',
      'teacher',
      'position',
      'introduction',
    ];

    for (const html of [page({}, course), withoutJsonLd(published(course))]) {
      for (const raw of ['<script>alert(1)</script>', '"onmouseover=', "'x'", '& y'])
        assert.ok(!html.includes(raw), raw);
      for (const field of fields) assert.ok(html.includes(escapeHtml(payload(field))), field);
    }
    const html = page({}, course);
    assert.ok(html.includes(`<title>${escapeHtml(payload('name'))}</title>`));
    assert.ok(html.includes(`alt="${escapeHtml(payload('name'))}"`));
    assert.ok(html.includes(`alt="${escapeHtml(payload('teacher'))}"`));
  });

  test('a multi-line description keeps its breaks without letting markup through', () => {
    const course = sampleCourse();
    course.description = '第一行 <b>粗体</b>\r\n第二行 & 更多\n\n<br onclick="x">';
    const html = page({}, course);
    assert.ok(
      html.includes('第一行 &lt;b&gt;粗体&lt;/b&gt;<br>第二行 &amp; 更多<br><br>&lt;br onclick=&quot;x&quot;&gt;'),
    );
  });

  test('only http(s) URLs and root-relative paths reach src and href', () => {
    const hostile = [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      ' javascript:alert(1)',
      'java\nscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      '//evil.example/x.mp4',
      '/\\evil.example/x.mp4',
      '/\t/evil.example/x.mp4',
      'ftp://files.example/x.pdf',
      'lesson.mp4',
    ];
    for (const url of hostile) {
      const media = sampleMedia();
      for (const id of [COVER_ID, INTRO_VIDEO_ID, LESSON_VIDEO_ID, SLIDES_ID, PHOTO_ID])
        media.set(id, { ...media.get(id)!, url, posterUrl: url });
      for (const html of [
        renderCoursePage({ mode: 'preview', course: sampleCourse(), media }),
        published(sampleCourse(), media),
      ]) {
        assert.ok(!/javascript:|vbscript:|data:|evil\.example|ftp:|lesson\.mp4"/i.test(html), url);
        assert.ok(!html.includes('<video') && !html.includes('<a ') && !html.includes('<img'), url);
        assert.ok(html.includes('媒资不可用'), url);
      }
    }
  });

  test('URLs are emitted normalised and attribute-escaped', () => {
    const media = sampleMedia();
    media.set(LESSON_VIDEO_ID, {
      ...media.get(LESSON_VIDEO_ID)!,
      url: 'HTTPS://Media.learnhub.test/v2/a b.mp4?sig=1&exp=2',
      posterUrl: 'javascript:alert(1)',
    });
    const html = renderCoursePage({ mode: 'preview', course: sampleCourse(), media });
    assert.ok(
      html.includes(
        '<video controls preload="metadata" src="https://media.learnhub.test/v2/a%20b.mp4?sig=1&amp;exp=2">',
      ),
    );
    assert.ok(!html.includes('javascript:'));
  });

  test('the published page carries schema.org Course data that a </script> in the name cannot break', () => {
    const course = sampleCourse();
    course.name = '</script><script>alert(1)</script><!-- 课程';
    course.description = '行一\u2028行二\u2029 & <b>';
    const html = published(course);
    const scripts = html.match(/<script\b/g) ?? [];
    assert.equal(scripts.length, 1, 'the name must not open a second script element');
    const json = jsonLdPattern.exec(html)?.[1];
    assert.ok(json);
    assert.ok(!/[<>&\u2028\u2029]/.test(json));
    assert.ok(json.includes('\\u003c/script\\u003e') && json.includes('\\u2028') && json.includes('\\u0026'));
    assert.deepEqual(JSON.parse(json), {
      '@context': 'https://schema.org',
      '@type': 'Course',
      name: course.name,
      description: course.description,
      inLanguage: 'zh-CN',
      educationalLevel: '中级',
      keywords: 'Java, 微服务，Spring Cloud',
      image: 'https://media.learnhub.test/cover.png',
      offers: { '@type': 'Offer', category: 'Paid', price: '199.00', priceCurrency: 'CNY' },
      hasCourseInstance: {
        '@type': 'CourseInstance',
        courseMode: 'online',
        instructor: [
          { '@type': 'Person', name: '王老师', jobTitle: '资深架构师' },
          { '@type': 'Person', name: '李老师', jobTitle: '高级工程师' },
        ],
      },
    });
    assert.ok(html.includes(`<title>${escapeHtml(course.name)}</title>`));
  });

  test('Chinese text is written as is, not as character references', () => {
    const html = published();
    for (const text of ['微服务实战', '编程开发', '课程导学', '注册中心', '王老师', '十年分布式系统经验。', '总时长'])
      assert.ok(html.includes(text), text);
    assert.ok(!/&#x?[0-9a-f]{4,};/i.test(html));
  });

  test('a live course shows its section times in China time and no durations it does not have', () => {
    const course = sampleCourse();
    course.teachingMode = TeachingMode.LIVE;
    course.teachplan = [
      chapter('ch-1', 1, '直播课', [section('s-1', 1, '开班直播', { startTime: '2024-05-01T11:00:00.000Z' })]),
    ];
    const html = page({}, course);
    assert.ok(html.includes('<li class="label">直播</li>'));
    assert.ok(html.includes('直播时间：2024-05-01 19:00'));
    assert.ok(html.includes('共 1 章 1 节</p>'));
    assert.ok(!html.includes('class="duration"'));
  });
});
