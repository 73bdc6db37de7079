import type {
  Caller,
  CourseMediaPublication,
  MediaDescription,
  MediaDirectory,
  MediaSummary,
} from '@learnhub/media/client';

/**
 * Stands in for the media subgraph, which is tested end to end elsewhere: knows a fixed set of
 * media items and records who asked and what was published, so the callers' own rules can be
 * checked. Like media, it describes only the named organisation's items and keeps the newest
 * version of each course's publication.
 */
export class FakeMediaDirectory implements MediaDirectory {
  readonly lookups: { id: string; caller: Caller }[] = [];
  /** Every publication received, in order, stale ones included. */
  readonly publications: CourseMediaPublication[] = [];
  /** What was asked, in order ("describe <requestId>", "publish <courseId>@<version>"); a test may add its own entries to order other calls against these. */
  readonly log: string[] = [];
  private readonly newest = new Map<string, number>();
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

  async describe(
    ids: readonly string[],
    organisationId: string,
    requestId: string,
  ): Promise<Map<string, MediaDescription>> {
    this.log.push(`describe ${requestId}`);
    const owned = ids.filter((id) => this.descriptions.get(id)?.organisationId === organisationId);
    return new Map(owned.map((id) => [id, this.descriptions.get(id)!]));
  }

  async publishCourseMedia(publication: CourseMediaPublication): Promise<'applied' | 'stale'> {
    this.log.push(`publish ${publication.courseId}@${publication.version}`);
    this.publications.push({ ...publication, publicMediaIds: [...publication.publicMediaIds] });
    if ((this.newest.get(publication.courseId) ?? 0) >= publication.version) return 'stale';
    this.newest.set(publication.courseId, publication.version);
    return 'applied';
  }
}
