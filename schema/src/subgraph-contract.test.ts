import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { startContent } from '@learnhub/content/testing';
import { startMedia } from '@learnhub/media/testing';
import { signToken } from '@learnhub/platform/auth';
import { startSubgraphAlone } from '@learnhub/platform/testing';
import { startSearch } from '@learnhub/search/testing';
import { schemaDir } from './compose';

interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Each subgraph on its own, as the gateway sees it: SQLite in a temp folder, no gateway secret. */
async function startAlone(start: Parameters<typeof startSubgraphAlone>[0]) {
  const subgraph = await startSubgraphAlone(start);
  return { ...subgraph, url: `${subgraph.origin}/graphql` };
}

async function graphql<T>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  assert.equal(response.status, 200, `HTTP ${response.status}`);
  return (await response.json()) as GraphQLResponse<T>;
}

const checkedIn = async (name: string) => (await readFile(join(schemaDir, name), 'utf8')).trimEnd();

/**
 * The SDL a subgraph serves, printed the way compose.ts prints the checked-in files. Apollo serves
 * `_service.sdl` with the federation definitions spelt out (`@link` directive definitions,
 * `_Service`, `_entities`, …), which the checked-in files leave implicit; reprinting only drops
 * those, so any difference in the subgraph's own types, fields or descriptions still shows.
 */
const served = async (url: string) => {
  const body = await graphql<{ _service: { sdl: string } }>(url, '{ _service { sdl } }');
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const sdl = body.data?._service.sdl;
  assert.ok(sdl, 'no SDL served');
  return printSubgraphSchema(buildSubgraphSchema({ typeDefs: parse(sdl) })).trimEnd();
};

describe('content subgraph served alone', () => {
  let subgraph: Awaited<ReturnType<typeof startAlone>>;
  before(async () => {
    subgraph = await startAlone(startContent);
  });
  after(async () => {
    await subgraph?.stop();
  });

  test('_service.sdl is the checked-in schema/content.graphql', async () => {
    assert.equal(await served(subgraph.url), await checkedIn('content.graphql'));
  });

  test('_entities resolves Courses for those who may read them, and null for everyone else', async () => {
    const secret = subgraph.config.auth.jwtSecret!;
    const owner = await signToken({ userId: 'u-owner', roles: ['member'], organisationId: 'org-a' }, secret);
    const stranger = await signToken({ userId: 'u-stranger', roles: ['member'], organisationId: 'org-b' }, secret);
    const created = await graphql<{ createCourse: { id: string } }>(
      subgraph.url,
      'mutation($i: CreateCourseInput!) { createCourse(input: $i) { id } }',
      {
        i: {
          name: 'Go 并发编程',
          audience: '后端开发者',
          mt: '1-3',
          st: '1-3-3',
          grade: 'ADVANCED',
          teachingMode: 'LIVE',
          charge: 'FREE',
        },
      },
      owner,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const id = created.data!.createCourse.id;
    const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Course { id name } } }';
    const representations = {
      r: [
        { __typename: 'Course', id },
        { __typename: 'Course', id: '987654' },
      ],
    };
    const asOwner = await graphql<{ _entities: unknown[] }>(subgraph.url, ENTITIES, representations, owner);
    assert.deepEqual(asOwner.data?._entities, [{ id, name: 'Go 并发编程' }, null]);
    const asStranger = await graphql<{ _entities: unknown[] }>(subgraph.url, ENTITIES, representations, stranger);
    assert.deepEqual(asStranger.data?._entities, [null, null]);
  });
});

describe('media subgraph served alone', () => {
  let subgraph: Awaited<ReturnType<typeof startAlone>>;
  let token: string;
  before(async () => {
    subgraph = await startAlone(startMedia);
    const secret = subgraph.config.auth.jwtSecret;
    assert.ok(secret);
    token = await signToken({ userId: 'u-contract', roles: ['member'], organisationId: 'org-contract' }, secret);
  });
  after(async () => {
    await subgraph?.stop();
  });

  /** Uploads straight to the media subgraph with a GraphQL multipart request. */
  async function upload(fileName: string, bytes: Buffer, type: string) {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation Upload($file: Upload!) { uploadFile(file: $file) { id fileName type mimeType size url } }',
        variables: { file: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([bytes], { type }), fileName);
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
      body: form,
    });
    const body = (await response.json()) as GraphQLResponse<{
      uploadFile: { id: string; fileName: string; type: string; mimeType: string; size: string; url: string };
    }>;
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const uploaded = body.data?.uploadFile;
    assert.ok(uploaded);
    return uploaded;
  }

  const ENTITIES =
    'query Refs($representations: [_Any!]!) { _entities(representations: $representations) { ... on Media { id fileName url type } } }';
  type Entity = { id: string; fileName: string; url: string; type: string } | null;
  const entities = async (ids: string[], organisationId = 'org-contract') => {
    const body = await graphql<{ _entities: Entity[] }>(subgraph.url, ENTITIES, {
      representations: ids.map((id) => ({ __typename: 'Media', id, organisationId })),
    });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data?._entities;
  };

  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
    'base64',
  );
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n', 'latin1');
  const unknownId = createHash('md5').update('never uploaded').digest('hex');
  // Private files get signed URLs, whose expiry moves with the clock: compare where they point.
  const withoutSignature = (entity: Entity) => entity && { ...entity, url: entity.url.split('?')[0] };

  test('_service.sdl is the checked-in schema/media.graphql', async () => {
    assert.equal(await served(subgraph.url), await checkedIn('media.graphql'));
  });

  test("_entities resolves an uploaded Media by its md5 and organisation, and an unknown id or another organisation's to null", async () => {
    const uploaded = await upload('logo.png', png, 'image/png');
    assert.equal(uploaded.id, createHash('md5').update(png).digest('hex'));
    assert.equal(uploaded.mimeType, 'image/png');
    assert.equal(Number(uploaded.size), png.length);

    const [found] = (await entities([uploaded.id])) ?? [];
    assert.deepEqual(
      withoutSignature(found ?? null),
      withoutSignature({ id: uploaded.id, fileName: 'logo.png', url: uploaded.url, type: 'IMAGE' }),
    );
    assert.match(
      found?.url ?? '',
      new RegExp(`/mediafiles/\\d{4}/\\d{2}/\\d{2}/${uploaded.id}\\.png\\?expires=\\d+&signature=[\\w-]+$`),
    );
    assert.deepEqual(await entities([uploaded.id], 'another-org'), [null]);

    assert.deepEqual(await entities([unknownId]), [null]);
    assert.deepEqual(await entities(['not-an-md5']), [null]);
  });

  test('several references in one _entities call are answered in order', async () => {
    const image = await upload('banner.png', Buffer.concat([png, Buffer.from('banner')]), 'image/png');
    const document = await upload('讲义.pdf', pdf, 'application/pdf');
    assert.deepEqual((await entities([document.id, unknownId, image.id]))?.map(withoutSignature), [
      withoutSignature({ id: document.id, fileName: '讲义.pdf', url: document.url, type: 'DOCUMENT' }),
      null,
      withoutSignature({ id: image.id, fileName: 'banner.png', url: image.url, type: 'IMAGE' }),
    ]);
  });
});

describe('search subgraph served alone', () => {
  let subgraph: Awaited<ReturnType<typeof startAlone>>;
  before(async () => {
    subgraph = await startAlone(startSearch);
  });
  after(async () => {
    await subgraph?.stop();
  });

  test('_service.sdl is the checked-in schema/search.graphql', async () => {
    assert.equal(await served(subgraph.url), await checkedIn('search.graphql'));
  });

  test('searchCourses answers anyone, without a token: an empty index finds nothing', async () => {
    const body = await graphql<{ searchCourses: { total: number } }>(subgraph.url, '{ searchCourses { total } }');
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.deepEqual(body.data, { searchCourses: { total: 0 } });
  });
});
