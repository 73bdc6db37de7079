import type { Config } from '../config.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

/** The configured store; `files` signs private URLs (local store) and sets their lifetime. */
export function createObjectStore(config: Config['objectStore'], files: Config['files']): ObjectStore {
  switch (config.kind) {
    case 'local':
      return new LocalObjectStore({ ...config, urlSecret: files.urlSecret, urlTtlSeconds: files.urlTtlSeconds });
    case 's3':
      return new S3ObjectStore({ ...config, urlTtlSeconds: files.urlTtlSeconds });
  }
}
