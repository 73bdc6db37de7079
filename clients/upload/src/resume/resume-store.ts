/** What is remembered of a file being uploaded, so a resumed upload need not hash it again. */
export interface ResumeRecord {
  fileMd5: string;
  /** The chunk size the chunk MD5s were computed for. */
  chunkSize: number;
  chunkMd5s: string[];
  /** The file's size, checked again when the record is read. */
  size: number;
  /** The GraphQL endpoint it was being uploaded to, for people reading the store. */
  endpoint: string;
  /** When the record was written (ISO time), so old ones can be cleared. */
  savedAt: string;
}

/**
 * Where records of unfinished uploads live between runs, keyed by the file's name, size and
 * modification time (`resumeKeyOf`): localStorage in a browser, a JSON file in Node.
 */
export interface ResumeStore {
  get(key: string): Promise<ResumeRecord | undefined>;
  set(key: string, record: ResumeRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

const MD5 = /^[0-9a-f]{32}$/;

/** A record as read back, if it is whole and fits a file of `size` bytes; anything else is ignored (and the file hashed again). */
export function usableRecord(value: unknown, size: number): ResumeRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<ResumeRecord>;
  if (
    typeof record.fileMd5 !== 'string' ||
    !MD5.test(record.fileMd5) ||
    !Number.isSafeInteger(record.chunkSize) ||
    (record.chunkSize ?? 0) < 1 ||
    record.size !== size ||
    !Array.isArray(record.chunkMd5s) ||
    record.chunkMd5s.length !== Math.ceil(size / record.chunkSize!) ||
    !record.chunkMd5s.every((md5) => typeof md5 === 'string' && MD5.test(md5))
  )
    return undefined;
  return record as ResumeRecord;
}
