import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startSubgraphAlone, type GraphQLAnswer, type SubgraphAlone } from '@learnhub/platform/testing';
import { startMedia } from '../server';

/*
 * The upload quotas as a client meets them: the media subgraph serving GraphQL over HTTP on a
 * free port, with its own SQLite database and local object store.
 */

const GiB = 1024 ** 3;
const CHECK_FILE =
  'mutation ($input: CheckFileInput!) { checkFile(input: $input) { exists upload { state fileSize } } }';
const ABORT = 'mutation ($fileMd5: String!) { abortUpload(fileMd5: $fileMd5) }';

type Answer = GraphQLAnswer<{ checkFile?: { upload: { state: string } | null } | null; abortUpload?: boolean }>;

describe('upload quotas through the media GraphQL API', () => {
  let media: SubgraphAlone;

  before(async () => {
    media = await startSubgraphAlone(startMedia, { UPLOAD_QUOTA_SESSIONS: '2', UPLOAD_QUOTA_BYTES: String(3 * GiB) });
  });
  after(() => media?.stop());

  const send = (organisationId: string, query: string, variables: object): Promise<Answer> =>
    media.graphql(query, variables, { userId: `${organisationId}-user`, roles: ['member'], organisationId });
  const checkFile = (organisationId: string, fileMd5: string, fileSize: number) =>
    send(organisationId, CHECK_FILE, { input: { fileMd5, fileName: 'lesson.mp4', fileSize } });
  const anyMd5 = () => randomBytes(16).toString('hex');

  test('checkFile past a quota answers CONFLICT with the reason, the limit, what is open, and what to do', async () => {
    const first = anyMd5();
    for (const fileMd5 of [first, anyMd5()]) {
      const opened = await checkFile('org-q', fileMd5, GiB);
      assert.equal(opened.errors, undefined, JSON.stringify(opened.errors));
      assert.equal(opened.data?.checkFile?.upload?.state, 'UPLOADING');
    }

    const third = await checkFile('org-q', anyMd5(), GiB);
    assert.equal(third.data, null);
    assert.equal(third.errors?.length, 1);
    assert.deepEqual(third.errors![0].extensions, {
      code: 'CONFLICT',
      reason: 'UPLOAD_QUOTA_SESSIONS',
      limit: 2,
      openSessions: 2,
      openBytes: 2 * GiB,
      fileSize: GiB,
    });
    assert.match(third.errors![0].message, /2 uploads open.*\(2\).*abortUpload/);

    assert.equal(
      (await checkFile('org-q', first, GiB)).data?.checkFile?.upload?.state,
      'UPLOADING',
      'resuming an open upload is never refused',
    );
    assert.equal(
      (await checkFile('org-other', anyMd5(), GiB)).data?.checkFile?.upload?.state,
      'UPLOADING',
      'another organisation is unaffected',
    );

    assert.equal((await send('org-q', ABORT, { fileMd5: first })).data?.abortUpload, true);
    const tooBig = await checkFile('org-q', anyMd5(), 2.5 * GiB);
    assert.deepEqual(tooBig.errors?.[0].extensions, {
      code: 'CONFLICT',
      reason: 'UPLOAD_QUOTA_BYTES',
      limit: 3 * GiB,
      openSessions: 1,
      openBytes: GiB,
      fileSize: 2.5 * GiB,
    });
    assert.match(tooBig.errors![0].message, /abortUpload/);
    assert.equal(
      (await checkFile('org-q', anyMd5(), 2 * GiB)).data?.checkFile?.upload?.state,
      'UPLOADING',
      'what fits is opened',
    );
  });
});
