import { extname } from 'node:path';
import { MediaType } from '../entities/media-object.entity';
import { Buckets } from './object-keys';
import { sniff, type SniffedType } from './mime-sniffer';

/**
 * What a chunked upload will hold, decided from the file name when the upload opens (before any
 * byte arrives), because its bucket and key are fixed then: the multipart upload is created on
 * them. The bytes must then agree (`judgeChunkedFile`).
 */
export interface PlannedFile {
  type: MediaType;
  mimeType: string;
  /** The extension its key ends with (as `uploadFile` names the sniffed type: `.jpg` for JPEG). */
  extension: string;
}

const of = (type: MediaType, mimeType: string, extension: string): PlannedFile => ({ type, mimeType, extension });
const image = (mimeType: string, extension: string) => of(MediaType.IMAGE, mimeType, extension);
const document = (mimeType: string, extension: string) => of(MediaType.DOCUMENT, mimeType, extension);
const video = (mimeType: string, extension: string) => of(MediaType.VIDEO, mimeType, extension);

/** Every type `sniff` recognises, by the extensions its files carry. */
const byExtension: Record<string, PlannedFile> = {
  '.png': image('image/png', '.png'),
  '.jpg': image('image/jpeg', '.jpg'),
  '.jpeg': image('image/jpeg', '.jpg'),
  '.gif': image('image/gif', '.gif'),
  '.webp': image('image/webp', '.webp'),
  '.bmp': image('image/bmp', '.bmp'),
  '.pdf': document('application/pdf', '.pdf'),
  '.docx': document('application/vnd.openxmlformats-officedocument.wordprocessingml.document', '.docx'),
  '.xlsx': document('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '.xlsx'),
  '.pptx': document('application/vnd.openxmlformats-officedocument.presentationml.presentation', '.pptx'),
  '.doc': document('application/msword', '.doc'),
  '.xls': document('application/vnd.ms-excel', '.xls'),
  '.ppt': document('application/vnd.ms-powerpoint', '.ppt'),
  '.zip': document('application/zip', '.zip'),
  '.txt': document('text/plain', '.txt'),
  '.md': document('text/markdown', '.md'),
  '.csv': document('text/csv', '.csv'),
  '.mp4': video('video/mp4', '.mp4'),
  '.m4v': video('video/mp4', '.m4v'),
  '.mov': video('video/quicktime', '.mov'),
  '.avi': video('video/x-msvideo', '.avi'),
  '.mkv': video('video/x-matroska', '.mkv'),
  '.webm': video('video/webm', '.webm'),
  '.flv': video('video/x-flv', '.flv'),
  '.ts': video('video/mp2t', '.ts'),
};

/** For messages: what chunked uploads take. */
export const ALLOWED_CHUNKED_TYPES =
  'videos (MP4, MOV, AVI, MKV, WebM, FLV, MPEG-TS), images (PNG, JPEG, GIF, WebP, BMP) and documents ' +
  '(PDF, Word, Excel, PowerPoint, ZIP, plain text, Markdown, CSV)';
export const ALLOWED_CHUNKED_EXTENSIONS = Object.keys(byExtension);

/** The plan for a file of this name; undefined when its extension names no type chunked uploads take. */
export function planFile(fileName: string): PlannedFile | undefined {
  return byExtension[extname(fileName).toLowerCase()];
}

/** The plan an upload was opened with, read back from where it stores the file (its key ends with the planned extension). */
export function plannedFor(bucket: string, key: string): PlannedFile | undefined {
  const plan = planFile(key);
  // Videos opened before other types were taken may carry any extension, or none.
  if (bucket === Buckets.video) return plan?.type === MediaType.VIDEO ? plan : video('application/octet-stream', '');
  return plan?.type === MediaType.VIDEO ? undefined : plan;
}

export type ChunkedFileJudgement =
  | { accepted: true; sniffed: SniffedType }
  | { accepted: false; reason: 'UNSUPPORTED_FILE_TYPE' | 'FILE_TYPE_MISMATCH'; message: string };

/**
 * Whether a chunked upload's first bytes are a type it takes and the type its name promised when
 * it opened: the same kind (video, image or document) and, for images and documents, the type its
 * key's extension names.
 */
export function judgeChunkedFile(head: Buffer, fileName: string, plan: PlannedFile | undefined): ChunkedFileJudgement {
  // The planned extension picks between formats sharing a container (a .docx is a zip), as the name did when the upload opened.
  const sniffed = sniff(head, plan?.extension ? `file${plan.extension}` : fileName);
  if (!sniffed || !planFile(`x${sniffed.extension}`)) {
    return {
      accepted: false,
      reason: 'UNSUPPORTED_FILE_TYPE',
      message: `The first bytes of "${fileName}" are not a type resumable uploads take: they take ${ALLOWED_CHUNKED_TYPES}.`,
    };
  }
  const agrees =
    plan && sniffed.type === plan.type && (plan.type === MediaType.VIDEO || sniffed.extension === plan.extension);
  if (!agrees) {
    return {
      accepted: false,
      reason: 'FILE_TYPE_MISMATCH',
      message: `"${fileName}" was opened as ${plan ? `a ${plan.extension || plan.type.toLowerCase()} file` : 'another type'}, but its bytes are ${sniffed.mimeType}: abort this upload (abortUpload) and call checkFile again with a name ending in ${sniffed.extension}.`,
    };
  }
  return { accepted: true, sniffed };
}
