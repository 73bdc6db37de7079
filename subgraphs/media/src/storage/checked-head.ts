import { Readable } from 'node:stream';

/**
 * Passes `source` on unchanged, but only once `check` has accepted its first `bytes` bytes (or
 * all of it, when shorter). A check that throws fails the stream with its error before anything
 * of the source is passed on.
 */
export function withCheckedHead(source: Readable, bytes: number, check: (head: Buffer) => void): Readable {
  async function* checked(): AsyncGenerator<Buffer> {
    const held: Buffer[] = [];
    let length = 0;
    let passed = false;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (passed) {
        yield chunk;
        continue;
      }
      held.push(chunk);
      length += chunk.length;
      if (length >= bytes) {
        const head = Buffer.concat(held, length);
        check(head.subarray(0, bytes));
        passed = true;
        yield head;
      }
    }
    if (!passed) {
      const head = Buffer.concat(held, length);
      check(head);
      yield head;
    }
  }
  return Readable.from(checked(), { objectMode: false });
}
