import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '@learnhub/platform/database';
import { testDatabases, type TestDatabase } from '@learnhub/platform/testing';
import { ChunkState, UploadChunk } from '../entities/upload-chunk.entity';
import { mediaEntities } from '../entities/media-entities';
import { UploadSessionRepository } from '../repositories/upload-session.repository';
import { mediaMigrations } from './migrations';

const at = new Date('2024-05-01T08:30:00Z');

for (const factory of testDatabases('media migration 0007')) {
  describe(`migration 0007 gives chunk rows a state on ${factory.kind}`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let sessionId: string;

    before(async () => {
      database = await factory.create();
      orm = await openDatabase({
        url: database.url,
        entities: mediaEntities,
        migrations: mediaMigrations,
        migrate: false,
      });
      await orm.getMigrator().up({ to: '0006-add-merge-leases' });
      const connection = orm.em.getConnection();
      await connection.execute(
        'insert into upload_sessions (organisation_id, file_md5, file_name, file_size, chunk_size, chunk_total, state, bucket, object_key, multipart_upload_id, created_by, created_at, last_activity_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ['org-1', 'a'.repeat(32), 'old.mp4', 3, 1, 3, 'UPLOADING', 'video', 'a/a/old.mp4', 'upload-1', 'alice', at, at],
      );
      const [row] = await connection.execute<{ id: unknown }[]>('select id from upload_sessions');
      sessionId = String(row.id);
      for (const index of [0, 2]) {
        await connection.execute(
          'insert into upload_chunks (session_id, chunk_index, size_bytes, md5, part_etag, received_at) values (?, ?, ?, ?, ?, ?)',
          [sessionId, index, 1, String(index).repeat(32), String(index).repeat(32), at],
        );
      }
      await orm.getMigrator().up();
    });
    after(async () => {
      await orm?.close();
      await database?.drop();
    });

    test('chunks stored before it came through media: STORED; declared chunks are told apart from then on', async () => {
      const chunks = () => orm.em.fork().find(UploadChunk, { sessionId }, { orderBy: { index: 'asc' } });
      assert.deepEqual(
        (await chunks()).map((chunk) => [chunk.index, chunk.state, chunk.partEtag]),
        [
          [0, ChunkState.STORED, '0'.repeat(32)],
          [2, ChunkState.STORED, '2'.repeat(32)],
        ],
      );
      const sessions = new UploadSessionRepository(orm.em.fork());
      // Declaring the bytes a chunk already holds changes nothing; other bytes, or a new chunk, are declared.
      await sessions.declareChunks(sessionId, [
        { index: 0, size: 1, md5: '0'.repeat(32) },
        { index: 1, size: 1, md5: 'b'.repeat(32) },
        { index: 2, size: 1, md5: 'c'.repeat(32) },
      ]);
      assert.deepEqual(
        (await chunks()).map((chunk) => [chunk.index, chunk.state, chunk.md5]),
        [
          [0, ChunkState.STORED, '0'.repeat(32)],
          [1, ChunkState.DECLARED, 'b'.repeat(32)],
          [2, ChunkState.DECLARED, 'c'.repeat(32)],
        ],
      );
      await sessions.confirmChunk(sessionId, 1, 'b'.repeat(32));
      assert.deepEqual(await sessions.forgetDeclared(sessionId), [2]);
      assert.deepEqual(
        (await chunks()).map((chunk) => [chunk.index, chunk.state]),
        [
          [0, ChunkState.STORED],
          [1, ChunkState.STORED],
        ],
      );
    });
  });
}
