/** The part of `@20minutes/s3rver` (shipped without typings) that the object store tests use. */
declare module '@20minutes/s3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    /** 0 picks a free port; `run()` reports the one bound. */
    port?: number;
    /** Where buckets live on disk. */
    directory?: string;
    silent?: boolean;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
