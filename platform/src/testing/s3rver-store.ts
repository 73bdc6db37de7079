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

/** An S3 object store over s3rver started in-process: the real S3 protocol over HTTP, on a temp folder. */
export async function startS3rverStore(
  options: { idleMs?: number } = {},
): Promise<{ store: S3ObjectStore; close(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  const store = new S3ObjectStore({
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver's built-in account.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    bucketPrefix: runBucketPrefix(),
    idleMs: options.idleMs,
  });
  return {
    store,
    close: async () => {
      await store.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
