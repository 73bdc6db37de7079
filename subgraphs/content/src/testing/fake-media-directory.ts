import type { Caller, MediaDirectory, MediaSummary } from '../services/media-directory';

/**
 * Stands in for the media subgraph, which is tested end to end elsewhere: knows a fixed set of
 * media items and records who asked, so the service's own rules can be checked here.
 */
export class FakeMediaDirectory implements MediaDirectory {
  readonly lookups: { id: string; caller: Caller }[] = [];
  private readonly items = new Map<string, MediaSummary>();

  add(item: MediaSummary): this {
    this.items.set(item.id, item);
    return this;
  }

  async find(id: string, caller: Caller): Promise<MediaSummary | undefined> {
    this.lookups.push({ id, caller });
    return this.items.get(id);
  }
}
