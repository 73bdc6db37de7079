import type { Config } from '../config.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

export function createObjectStore(config: Config['objectStore']): ObjectStore {
  switch (config.kind) {
    case 'local':
      return new LocalObjectStore(config);
    case 's3':
      return new S3ObjectStore(config);
  }
}
