import { join } from 'node:path';
import { Environment, FileSystemLoader } from 'nunjucks';
import { Charge, CourseGrade, TeachingMode, courseTags } from '@learnhub/contracts/published-course';
import type { CoursePageModel, PageMedia } from './course-page-model';
import type { SnapshotTeachplanNode } from './course-snapshot';

/** tsc copies no templates, so they stay beside dist/, not in it: dist/publishing/ → package root → templates/. */
const TEMPLATE_DIR = join(__dirname, '..', '..', 'templates');

const gradeLabels: Record<CourseGrade, string> = {
  [CourseGrade.BEGINNER]: '初级',
  [CourseGrade.INTERMEDIATE]: '中级',
  [CourseGrade.ADVANCED]: '高级',
};
const teachingModeLabels: Record<TeachingMode, string> = {
  [TeachingMode.RECORDED]: '录播',
  [TeachingMode.LIVE]: '直播',
};

/** What a section shows where its media would be; `kind` picks the template branch. */
type SectionMediaView =
  | { kind: 'video'; src: string; poster?: string }
  | { kind: 'link'; href: string; fileName: string }
  | { kind: 'note'; text: string }
  | { kind: 'none' };

let environment: Environment | undefined;

/** One per process so the template is read and compiled once; made on first use so importing this module touches no files. */
function templates(): Environment {
  environment ??= new Environment(new FileSystemLoader(TEMPLATE_DIR), {
    autoescape: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  return environment;
}

/** Renders the course page (preview, published or offline) as a complete HTML document. */
export function renderCoursePage(model: CoursePageModel): string {
  return templates().render('course-page.njk', pageView(model));
}

function pageView(model: CoursePageModel) {
  const { course, mode } = model;
  const market = course.market;
  const chapters = inOrder(course.teachplan).map((chapter, c) => ({
    number: c + 1,
    name: chapter.name,
    sections: inOrder(chapter.children).map((section, s) => sectionView(model, section, `${c + 1}-${s + 1}`)),
  }));
  const sectionCount = chapters.reduce((sum, chapter) => sum + chapter.sections.length, 0);
  const totalSeconds = course.teachplan
    .flatMap((chapter) => chapter.children)
    .reduce((sum, section) => sum + (sectionSeconds(model, section) ?? 0), 0);
  return {
    mode,
    name: course.name,
    metaDescription: summary(course.description ?? course.audience),
    // Previews and withdrawn courses are not for search engines.
    indexable: mode === 'published',
    categories: [course.mtName, course.stName].filter((name) => name !== ''),
    gradeLabel: gradeLabels[course.grade],
    teachingModeLabel: teachingModeLabels[course.teachingMode],
    tags: courseTags(course.tags),
    audience: course.audience,
    descriptionLines: course.description ? course.description.split(/\r\n|\r|\n/) : [],
    coverUrl: mode === 'offline' ? undefined : imageUrl(model, course.coverMediaId),
    price: market && {
      free: market.charge === Charge.FREE,
      amount: `¥${market.price}`,
      original: market.charge === Charge.PAID && market.originalPrice ? `¥${market.originalPrice}` : undefined,
      validity: market.validDays ? `${market.validDays} 天` : '长期有效',
    },
    contacts: [
      { label: 'QQ', value: market?.qq },
      { label: '微信', value: market?.wechat },
      { label: '电话', value: market?.phone },
    ].filter((contact) => contact.value),
    chapters,
    sectionCount,
    totalDuration: totalSeconds > 0 ? clock(totalSeconds) : undefined,
    teachers: course.teachers.map((teacher) => ({
      name: teacher.name,
      initial: [...teacher.name][0] ?? '',
      position: teacher.position,
      introduction: teacher.introduction,
      photoUrl: imageUrl(model, teacher.photoMediaId),
    })),
    publishedOn: mode === 'published' && model.publishedAt ? shanghaiDate(model.publishedAt) : undefined,
    version: model.version,
    jsonLd: mode === 'published' ? scriptSafeJson(courseJsonLd(model)) : undefined,
  };
}

function sectionView(model: CoursePageModel, section: SnapshotTeachplanNode, number: string) {
  const seconds = sectionSeconds(model, section);
  return {
    number,
    name: section.name,
    description: section.description,
    duration: seconds === undefined ? undefined : clock(seconds),
    liveAt: section.startTime ? shanghaiDateTime(section.startTime) : undefined,
    preview: section.preview,
    media: sectionMedia(model, section),
  };
}

function sectionMedia(model: CoursePageModel, section: SnapshotTeachplanNode): SectionMediaView {
  if (!section.mediaId || model.mode === 'offline') return { kind: 'none' };
  if (model.mode === 'published' && !section.preview) {
    return { kind: 'note', text: model.course.market?.charge === Charge.FREE ? '报名后观看' : '购买后观看' };
  }
  const media = model.media.get(section.mediaId);
  if (!media) return { kind: 'note', text: '媒资不可用' };
  if (media.type === 'VIDEO' && !media.playable) return { kind: 'note', text: '视频转码中，暂不可播放' };
  const url = usableUrl(media);
  if (!url) return { kind: 'note', text: '媒资不可用' };
  if (media.type === 'VIDEO') return { kind: 'video', src: url, poster: safeUrl(media.posterUrl) };
  return { kind: 'link', href: url, fileName: section.mediaFileName ?? media.fileName };
}

function sectionSeconds(model: CoursePageModel, section: SnapshotTeachplanNode): number | undefined {
  return section.durationSeconds ?? (section.mediaId ? model.media.get(section.mediaId)?.durationSeconds : undefined);
}

function imageUrl(model: CoursePageModel, mediaId: string | undefined): string | undefined {
  const media = mediaId ? model.media.get(mediaId) : undefined;
  return media?.type === 'IMAGE' ? usableUrl(media) : undefined;
}

function usableUrl(media: PageMedia): string | undefined {
  return media.playable ? safeUrl(media.url) : undefined;
}

/** Resolves root-relative paths only to see whether they stay on this origin. */
const PAGE_ORIGIN = 'http://page.invalid';

/**
 * An http(s) URL or a root-relative path, normalised the way a browser would read it, or
 * nothing. Parsing first matters: browsers drop tabs and newlines inside URLs and treat `\` as
 * `/`, so a path that merely starts with one `/` can still mean another host.
 */
function safeUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (/^https?:\/\//i.test(raw)) return URL.canParse(raw) ? new URL(raw).href : undefined;
  if (!raw.startsWith('/') || !URL.canParse(raw, PAGE_ORIGIN)) return undefined;
  const url = new URL(raw, PAGE_ORIGIN);
  return url.origin === PAGE_ORIGIN ? url.pathname + url.search + url.hash : undefined;
}

function inOrder(nodes: SnapshotTeachplanNode[]): SnapshotTeachplanNode[] {
  return [...nodes].sort((a, b) => a.order - b.order);
}

/** 75 → "1:15", 3725 → "1:02:05". */
function clock(totalSeconds: number): string {
  const seconds = Math.round(totalSeconds);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Search engines show about this many Chinese characters of a description. */
const SUMMARY_LENGTH = 120;

function summary(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > SUMMARY_LENGTH ? `${chars.slice(0, SUMMARY_LENGTH).join('')}…` : chars.join('');
}

// The audience is in China, whatever zone the server runs in; en-CA spells dates as YYYY-MM-DD.
const dateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' });

function shanghaiDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

function shanghaiDateTime(iso: string): string {
  const date = new Date(iso);
  return `${dateFormat.format(date)} ${timeFormat.format(date)}`;
}

function courseJsonLd(model: CoursePageModel) {
  const { course } = model;
  const market = course.market;
  return {
    '@context': 'https://schema.org',
    '@type': 'Course',
    name: course.name,
    description: course.description ?? course.audience,
    inLanguage: 'zh-CN',
    educationalLevel: gradeLabels[course.grade],
    keywords: course.tags,
    image: imageUrl(model, course.coverMediaId),
    offers: market && {
      '@type': 'Offer',
      category: market.charge === Charge.FREE ? 'Free' : 'Paid',
      price: market.price,
      priceCurrency: 'CNY',
    },
    hasCourseInstance: {
      '@type': 'CourseInstance',
      courseMode: 'online',
      instructor: course.teachers.map((teacher) => ({
        '@type': 'Person',
        name: teacher.name,
        jobTitle: teacher.position,
      })),
    },
  };
}

/**
 * JSON that can sit inside a <script> element: `<`, `>` and `&` escaped so that no `</script>`
 * or `<!--` can end or alter the element, U+2028/2029 so older parsers that treat them as line
 * ends still read it. HTML escaping would corrupt it instead: script content is not decoded.
 */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
