import { UploadError } from './upload-error.js';

/**
 * What can be uploaded: a browser `File`, or anything shaped like one whose `slice` gives Blobs
 * read only when asked (`openFile` of `@learnhub/upload-client/node` makes one of a path).
 */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  /** Milliseconds since the epoch; with the name and size it identifies the file to resume it. */
  readonly lastModified: number;
  slice(start?: number, end?: number): Blob;
  /** Bytes [start, end), when the source can read them more cheaply than through a Blob (a file on disk in Node). */
  read?(start: number, end: number): Promise<Uint8Array>;
}

/** The key under which a file's upload is remembered for resuming: its name, size and modification time. */
export function resumeKeyOf(source: UploadSource): string {
  return JSON.stringify([source.name, source.size, source.lastModified]);
}

/** Reads bytes [start, end) of the source, telling a file that changed or vanished since it was opened apart from other failures. */
export async function readRange(source: UploadSource, start: number, end: number): Promise<Uint8Array> {
  try {
    const bytes = source.read
      ? await source.read(start, end)
      : new Uint8Array(await source.slice(start, end).arrayBuffer());
    if (bytes.byteLength !== end - start) throw fileChanged(`it ended before byte ${end}`);
    return bytes;
  } catch (error) {
    if (error instanceof UploadError) throw error;
    const name = (error as { name?: string }).name;
    if (name === 'NotReadableError' || name === 'NotFoundError') throw fileChanged('it can no longer be read', error);
    throw error;
  }
}

function fileChanged(why: string, cause?: unknown): UploadError {
  return new UploadError(
    `The file changed since the upload began (${why}): upload it again to send its new contents.`,
    'FILE_CHANGED',
    { cause },
  );
}
