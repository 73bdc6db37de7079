import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { openDatabase } from '@learnhub/platform/database';
import { AppError } from '@learnhub/platform/errors';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { mediaMigrations } from '../migrations/migrations';
import { MediaRepository } from '../repositories/media.repository';
import { UploadSessionRepository } from '../repositories/upload-session.repository';
import { mediaEntities } from '../entities/media-entities';
import { UploadSessionService } from '../services/upload-session.service';
import { ChunkUploadTokens } from '../rules/chunk-upload-token';

/**
 * A stand-in media process for the quota tests: opens OPEN_COUNT uploads of new files for one
 * organisation, all at once, when it reads "go" on stdin (after printing "ready"), then prints
 * one JSON line: how many opened and the refusals' reasons. Two of these race across processes.
 */
async function main(): Promise<void> {
  const { DATABASE_URL, STORE_ROOT, ORGANISATION_ID, OPEN_COUNT, QUOTA_SESSIONS } = process.env;
  const orm = await openDatabase({ url: DATABASE_URL!, entities: mediaEntities, migrations: mediaMigrations });
  const store = new LocalObjectStore({
    root: STORE_ROOT!,
    publicUrl: 'http://files.test',
    urlSecret: 'test-url-secret',
  });
  const settings = {
    chunkSize: 5 * 1024 * 1024,
    maxFileBytes: 1024 ** 3,
    sessionTtlSeconds: 3600,
    quotaSessions: Number(QUOTA_SESSIONS),
    quotaBytes: 1024 ** 4,
    proofKey: 'test-proof-key',
    mergeWaitMs: 0,
    chunkWaitMs: 0,
    mergeLease: { leaseMs: 30_000, owner: 'racer' },
    chunkUrls: { tokens: new ChunkUploadTokens('test-url-secret'), publicUrl: 'http://gateway.test', ttlSeconds: 600 },
  };
  const unused = {
    inspect: () => Promise.reject(new Error('no merges here')),
    queue: () => Promise.resolve(false),
    wake: () => Promise.resolve(),
  };
  const viewer = { userId: 'racer', roles: ['member' as const], organisationId: ORGANISATION_ID! };
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break;
  const results = await Promise.allSettled(
    Array.from({ length: Number(OPEN_COUNT) }, () => {
      const em = orm.em.fork();
      const service = new UploadSessionService(
        new UploadSessionRepository(em),
        new MediaRepository(em),
        store,
        settings,
        createLogger('racer', 'silent'),
        unused,
      );
      return service.checkFile(viewer, {
        fileMd5: randomBytes(16).toString('hex'),
        fileName: 'lesson.mp4',
        fileSize: 1024,
      });
    }),
  );
  const refusals = results.flatMap((result) =>
    result.status === 'rejected'
      ? [result.reason instanceof AppError ? String(result.reason.details.reason) : String(result.reason)]
      : [],
  );
  process.stdout.write(`${JSON.stringify({ opened: results.length - refusals.length, refusals })}\n`);
  await orm.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
