import type { Caller, MediaDescription, MediaDirectory, MediaSummary } from '../services/media-directory';

/**
 * Stands in for the media subgraph, which is tested end to end elsewhere: knows a fixed set of
 * media items and records who asked, so the service's own rules can be checked here.
 */
export class FakeMediaDirectory implements MediaDirectory {
  readonly lookups: { id: string; caller: Caller }[] = [];
  private readonly items = new Map<string, MediaSummary>();
  private readonly descriptions = new Map<string, MediaDescription>();

  add(item: MediaSummary, description: Partial<MediaDescription> = {}): this {
    this.items.set(item.id, item);
    const url = `http://127.0.0.1/files/${item.id}`;
    this.descriptions.set(item.id, { ...item, url, playable: true, transcodeState: 'NONE', ...description });
    return this;
  }

  async find(id: string, caller: Caller): Promise<MediaSummary | undefined> {
    this.lookups.push({ id, caller });
    return this.items.get(id);
  }

  async describe(ids: readonly string[]): Promise<Map<string, MediaDescription>> {
    return new Map(ids.filter((id) => this.descriptions.has(id)).map((id) => [id, this.descriptions.get(id)!]));
  }
}
