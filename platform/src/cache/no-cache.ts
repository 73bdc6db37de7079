import type { ReadinessCheck } from '../http/service-app.js';
import type { Cache } from './cache.js';

/** The adapter used without Redis: remembers nothing, so every read falls through to the database. */
export class NoCache implements Cache {
  async get(_key: string): Promise<string | undefined> {
    return undefined;
  }

  async set(_key: string, _value: string, _ttlSeconds: number): Promise<void> {}

  async delete(_key: string): Promise<void> {}

  async setIfAbsent(_key: string, _value: string, _ttlSeconds: number): Promise<boolean> {
    return true;
  }

  async deleteIfEquals(_key: string, _value: string): Promise<boolean> {
    return true;
  }

  async writeVersioned(
    _key: string,
    _version: number,
    _value: string | undefined,
    _ttlSeconds: number,
  ): Promise<'uncached'> {
    return 'uncached';
  }

  async ping(): Promise<void> {}

  readiness(): ReadinessCheck[] {
    return [];
  }

  async close(): Promise<void> {}
}
