import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { graphql, type GraphQLSchema } from 'graphql';
import type { Viewer } from '@learnhub/platform/auth';
import { Loaders } from '@learnhub/platform/graphql';
import type { Logger } from '@learnhub/platform/logger';
import { MediaAuditStatus } from '../entities/media-file.entity';
import { MediaType } from '../entities/media-object.entity';
import { buildMediaSchema } from '../schema';
import type { MediaFilterInput, MediaService } from '../services/media.service';
import type { MediaView } from '../services/media-view';
import { TranscodeState, type Transcoding } from '../rules/playability';
import type { MediaContext } from './media-context';

const viewer: Viewer = { userId: 'u-1', roles: ['member'], organisationId: 'org-1' };
const item = (id: string, type: MediaType, transcoded = false): MediaView => ({
  id,
  fileMd5: id,
  fileName: `${id}.bin`,
  type,
  mimeType: 'application/octet-stream',
  size: 1,
  url: `http://files.test/${id}`,
  transcoded,
  organisationId: 'org-1',
  auditStatus: MediaAuditStatus.APPROVED,
  createdBy: 'u-1',
  createdAt: new Date('2024-03-01T00:00:00Z'),
});
const items = [
  item('a'.repeat(32), MediaType.IMAGE),
  item('b'.repeat(32), MediaType.VIDEO),
  item('c'.repeat(32), MediaType.VIDEO),
  item('d'.repeat(32), MediaType.VIDEO, true),
  item('e'.repeat(32), MediaType.VIDEO),
  // Read before its task finished: the task (read after) says SUCCEEDED while this view's URL is still the original.
  item('f'.repeat(32), MediaType.VIDEO),
];
const transcodings = new Map<string, Transcoding>([
  ['a'.repeat(32), { state: TranscodeState.PENDING }],
  ['c'.repeat(32), { state: TranscodeState.PROCESSING, progress: 35 }],
  ['d'.repeat(32), { state: TranscodeState.SUCCEEDED }],
  ['e'.repeat(32), { state: TranscodeState.FAILED }],
  ['f'.repeat(32), { state: TranscodeState.SUCCEEDED }],
]);

/** The service calls one request made, with canned answers. */
function fakeContext() {
  const calls = { transcodes: [] as string[][], filters: [] as MediaFilterInput[], deleted: [] as string[] };
  const media = {
    async list(_viewer: Viewer, filter: MediaFilterInput) {
      calls.filters.push(filter);
      return { items, total: items.length };
    },
    async transcodes(ids: readonly string[]) {
      calls.transcodes.push([...ids]);
      return new Map(ids.map((id) => [id, transcodings.get(id) ?? { state: TranscodeState.NONE }]));
    },
    async delete(_viewer: Viewer, id: string) {
      calls.deleted.push(id);
      return true as const;
    },
  } as unknown as MediaService;
  const ctx = {
    requestId: 'r-1',
    log: {} as Logger,
    viewer,
    em: undefined,
    loaders: new Loaders(),
    media,
    maxPageSize: 100,
  } as unknown as MediaContext;
  return { ctx, calls };
}

describe('media resolver', () => {
  let schema: GraphQLSchema;
  before(async () => {
    schema = await buildMediaSchema();
  });

  test('transcodeState, transcodeProgress and playable of a whole page cost one batched lookup, and agree with the URL read with each item', async () => {
    const { ctx, calls } = fakeContext();
    const result = await graphql({
      schema,
      contextValue: ctx,
      source: '{ mediaFiles { items { id type transcodeState transcodeProgress playable } } }',
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const page = (
      result.data as {
        mediaFiles: { items: Array<{ transcodeState: string; transcodeProgress: number | null; playable: boolean }> };
      }
    ).mediaFiles.items;
    assert.deepEqual(
      page.map(({ transcodeState, transcodeProgress, playable }) => [transcodeState, transcodeProgress, playable]),
      [
        ['PENDING', null, true],
        ['NONE', null, true],
        ['PROCESSING', 35, false],
        ['SUCCEEDED', null, true],
        ['FAILED', null, false],
        ['PROCESSING', 100, false],
      ],
    );
    assert.deepEqual(calls.transcodes, [items.map((i) => i.id)]);
  });

  test('mediaFiles passes audit status and the creation range on', async () => {
    const { ctx, calls } = fakeContext();
    const result = await graphql({
      schema,
      contextValue: ctx,
      source:
        '{ mediaFiles(filter: { auditStatus: PENDING, createdFrom: "2024-03-01T00:00:00.000Z", createdTo: "2024-04-01T00:00:00.000Z" }) { total } }',
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const [filter] = calls.filters;
    assert.equal(filter?.auditStatus, MediaAuditStatus.PENDING);
    assert.deepEqual(
      [filter?.createdFrom, filter?.createdTo],
      [new Date('2024-03-01T00:00:00Z'), new Date('2024-04-01T00:00:00Z')],
    );
  });

  test('deleteMedia answers true', async () => {
    const { ctx, calls } = fakeContext();
    const result = await graphql({
      schema,
      contextValue: ctx,
      source: `mutation { deleteMedia(id: "${'a'.repeat(32)}") }`,
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data?.deleteMedia, true);
    assert.deepEqual(calls.deleted, ['a'.repeat(32)]);
  });
});
