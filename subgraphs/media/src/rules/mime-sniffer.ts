import { extname } from 'node:path';
import { MediaType } from '../entities/media-object.entity';

/** What a file's first bytes say it is. */
export interface SniffedType {
  mimeType: string;
  extension: string;
  type: MediaType;
}

/** How many leading bytes `sniff` wants to see. */
export const SNIFF_BYTES = 4100;

const ascii = (bytes: Buffer, offset: number, text: string) =>
  bytes.length >= offset + text.length && bytes.toString('latin1', offset, offset + text.length) === text;
const startsWith = (bytes: Buffer, ...values: number[]) => values.every((v, i) => bytes[i] === v);

const officeByExtension: Record<string, string> = {
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.doc': 'application/msword',
  '.xls': 'application/vnd.ms-excel',
  '.ppt': 'application/vnd.ms-powerpoint',
};

function isUtf8Text(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.includes(0)) return false;
  // A multi-byte character may be cut at the end of the sample; ignore up to 3 trailing bytes.
  for (let cut = 0; cut < 4 && cut < bytes.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - cut));
      return true;
    } catch {
      // try a shorter sample
    }
  }
  return false;
}

/**
 * Decides a file's type from its leading bytes, never from its name alone; the name only picks
 * between formats that share a container (a .docx is a zip). Unknown binary data is undefined.
 */
export function sniff(head: Buffer, fileName: string): SniffedType | undefined {
  const ext = extname(fileName).toLowerCase();
  const of = (mimeType: string, extension: string, type: MediaType): SniffedType => ({ mimeType, extension, type });
  if (startsWith(head, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return of('image/png', '.png', MediaType.IMAGE);
  if (startsWith(head, 0xff, 0xd8, 0xff)) return of('image/jpeg', '.jpg', MediaType.IMAGE);
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return of('image/gif', '.gif', MediaType.IMAGE);
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return of('image/webp', '.webp', MediaType.IMAGE);
  if (ascii(head, 0, 'BM') && head.length > 26 && head.readUInt32LE(2) > 26)
    return of('image/bmp', '.bmp', MediaType.IMAGE);
  if (ascii(head, 0, '%PDF-')) return of('application/pdf', '.pdf', MediaType.DOCUMENT);
  if (startsWith(head, 0x50, 0x4b, 0x03, 0x04)) {
    const office = officeByExtension[ext];
    return office && ext.endsWith('x')
      ? of(office, ext, MediaType.DOCUMENT)
      : of('application/zip', '.zip', MediaType.DOCUMENT);
  }
  if (startsWith(head, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) {
    const office = officeByExtension[ext];
    return office && !ext.endsWith('x')
      ? of(office, ext, MediaType.DOCUMENT)
      : of('application/x-ole-storage', '.bin', MediaType.DOCUMENT);
  }
  if (ascii(head, 4, 'ftyp')) {
    return ascii(head, 8, 'qt  ')
      ? of('video/quicktime', '.mov', MediaType.VIDEO)
      : of('video/mp4', '.mp4', MediaType.VIDEO);
  }
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return of('video/x-msvideo', '.avi', MediaType.VIDEO);
  if (startsWith(head, 0x1a, 0x45, 0xdf, 0xa3)) {
    return head.subarray(0, 64).includes('webm')
      ? of('video/webm', '.webm', MediaType.VIDEO)
      : of('video/x-matroska', '.mkv', MediaType.VIDEO);
  }
  if (ascii(head, 0, 'FLV')) return of('video/x-flv', '.flv', MediaType.VIDEO);
  if (head.length > 188 && head[0] === 0x47 && head[188] === 0x47) return of('video/mp2t', '.ts', MediaType.VIDEO);
  if (isUtf8Text(head)) {
    const textual: Record<string, string> = { '.md': 'text/markdown', '.csv': 'text/csv' };
    return of(textual[ext] ?? 'text/plain', textual[ext] ? ext : '.txt', MediaType.DOCUMENT);
  }
  return undefined;
}
