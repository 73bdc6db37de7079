import S3rver from '@20minutes/s3rver';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '../object-store/s3-object-store';

/** A bucket prefix of its own per run, so the run's buckets can be found and removed afterwards. */
export function runBucketPrefix(): string {
  return `lh-test-${randomBytes(4).toString('hex')}-`;
}

/** s3rver's built-in account. */
export const S3RVER_KEY = 'S3RVER';

/**
 * An S3 object store over s3rver started in-process: the real S3 protocol over HTTP, on a temp
 * folder. `endpoint` lets a service process use the same server (S3_ENDPOINT, with S3RVER_KEY as
 * both access and secret key).
 */
export async function startS3rverStore(
  options: { idleMs?: number; bucketPrefix?: string } = {},
): Promise<{ store: S3ObjectStore; endpoint: string; close(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const store = new S3ObjectStore({
    endpoint,
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    region: 'us-east-1',
    bucketPrefix: options.bucketPrefix ?? runBucketPrefix(),
    idleMs: options.idleMs,
  });
  return {
    store,
    endpoint,
    close: async () => {
      await store.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
