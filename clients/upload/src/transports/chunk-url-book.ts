import type { ChunkUploadUrl, UploadApi } from '../upload-api.js';
import { UploadError } from '../upload-error.js';

/** A URL is used only while it has at least this long to live: a request that starts later may reach the server after it expired. */
const EXPIRY_MARGIN_MS = 15_000;

/**
 * The chunk upload URLs asked of the server so far. A chunk without a fresh URL asks for a batch:
 * its own and those of the next chunks in line that have none (or a stale one), so URLs are asked
 * for as sending goes, a batch at a time, never all up front (they expire). A refused URL is
 * forgotten with every URL that expires no later (its batch and older ones), and asked for again.
 */
export class ChunkUrlBook {
  private readonly asked = new Map<number, Promise<ChunkUploadUrl>>();
  private readonly answered = new Map<number, ChunkUploadUrl>();

  constructor(
    private readonly api: UploadApi,
    private readonly fileMd5: string,
    private readonly chunkMd5s: readonly string[],
    /** The chunks waiting to be sent, in the order they will go. */
    private readonly upcoming: () => readonly number[],
    private readonly batchSize: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async urlFor(index: number, signal: AbortSignal): Promise<ChunkUploadUrl> {
    const pending = this.asked.get(index);
    if (pending) {
      const url = await pending;
      if (this.fresh(url)) return url;
    }
    // A URL that comes back stale is still used once: a server whose URLs live less than the margin would otherwise be asked forever.
    return this.ask(index, signal);
  }

  /** The server refused the URL of `index`: it, and every URL that expires no later, is asked for again. */
  refused(index: number): void {
    const url = this.answered.get(index);
    this.forget(index);
    if (!url) return;
    const until = Date.parse(url.expiresAt);
    for (const [other, known] of [...this.answered]) if (!(Date.parse(known.expiresAt) > until)) this.forget(other);
  }

  private forget(index: number, which = this.asked.get(index)): void {
    if (this.asked.get(index) !== which) return;
    this.asked.delete(index);
    this.answered.delete(index);
  }

  private fresh(url: ChunkUploadUrl): boolean {
    const expires = Date.parse(url.expiresAt);
    return Number.isNaN(expires) || expires - EXPIRY_MARGIN_MS > this.now();
  }

  private needsUrl(index: number): boolean {
    if (!this.asked.has(index)) return true;
    const url = this.answered.get(index);
    return url !== undefined && !this.fresh(url);
  }

  private ask(index: number, signal: AbortSignal): Promise<ChunkUploadUrl> {
    const wanted = [index];
    for (const next of this.upcoming()) {
      if (wanted.length >= this.batchSize) break;
      if (next !== index && this.needsUrl(next)) wanted.push(next);
    }
    const batch = this.api.chunkUploadUrls(
      this.fileMd5,
      wanted.map((i) => ({ index: i, chunkMd5: this.chunkMd5s[i] })),
      signal,
    );
    for (const i of wanted) {
      const url = batch.then((urls) => {
        const found = urls.find((candidate) => candidate.index === i);
        if (!found) throw new UploadError(`chunkUploadUrls gave no URL for chunk ${i}.`, 'UNEXPECTED_ANSWER');
        if (this.asked.get(i) === url) this.answered.set(i, found);
        return found;
      });
      // A failed batch is forgotten, so each chunk asks again when its turn comes (and hears the error then).
      url.catch(() => this.forget(i, url));
      this.forget(i);
      this.asked.set(i, url);
    }
    return this.asked.get(index)!;
  }
}
