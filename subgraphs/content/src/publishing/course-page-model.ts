import type { CourseSnapshot } from './course-snapshot';

/** What a page needs of one media item, as the media subgraph reports it when the page is rendered. */
export interface PageMedia {
  id: string;
  type: 'IMAGE' | 'VIDEO' | 'DOCUMENT';
  fileName: string;
  /** A URL a browser can open: the transcoded MP4 once there is one. */
  url: string;
  /** Whether a browser can play (or open) it as served. */
  playable: boolean;
  posterUrl?: string;
  durationSeconds?: number;
}

/**
 * Everything the course page template renders. `mode` tells where the page is shown: an
 * organisation's or auditor's preview of a draft or snapshot, the public published page, or the
 * page that replaces it while the course is offline.
 */
export interface CoursePageModel {
  mode: 'preview' | 'published' | 'offline';
  course: CourseSnapshot;
  /** The media items the snapshot refers to, by id; a missing id is shown as unavailable. */
  media: ReadonlyMap<string, PageMedia>;
  /** ISO 8601, for published and offline pages. */
  publishedAt?: string;
  /** Published record version the page shows (published and offline pages). */
  version?: number;
}
