import { openAsBlob } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { UploadSource } from '../upload-source.js';

/** A file on disk as an upload source: nothing is read until a slice's bytes are. */
export interface FileSource extends UploadSource {
  /** The absolute path, for hashers that read the file themselves (a worker thread). */
  readonly path: string;
  read(start: number, end: number): Promise<Uint8Array>;
}

/**
 * Opens the file at `path`. Its bytes are read straight into a buffer (`read`) or as a lazily read
 * Blob (`slice`); either fails, as a browser's File does, once the file's size or modification
 * time changed, which the upload reports as FILE_CHANGED.
 */
export async function openFile(path: string, options: { name?: string } = {}): Promise<FileSource> {
  const absolute = resolve(path);
  const info = await stat(absolute);
  if (!info.isFile()) throw new Error(`${path} is not a regular file.`);
  const blob = await openAsBlob(absolute);
  return {
    path: absolute,
    name: options.name ?? basename(absolute),
    size: info.size,
    lastModified: Math.floor(info.mtimeMs),
    slice: (start, end) => blob.slice(start, end),
    read: async (start, end) => {
      const file = await open(absolute, 'r').catch((error: unknown) => {
        throw notReadable(`${absolute} can no longer be opened`, error);
      });
      try {
        const now = await file.stat();
        if (now.size !== info.size || now.mtimeMs !== info.mtimeMs)
          throw notReadable(`${absolute} was modified after it was opened`);
        const bytes = Buffer.allocUnsafe(end - start);
        let filled = 0;
        while (filled < bytes.length) {
          const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, start + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return bytes.subarray(0, filled);
      } finally {
        await file.close();
      }
    },
  };
}

/** Named as browsers and Node's Blob name a file that changed under them, so the upload tells it apart. */
function notReadable(message: string, cause?: unknown): Error {
  const error = new Error(message, { cause });
  error.name = 'NotReadableError';
  return error;
}
