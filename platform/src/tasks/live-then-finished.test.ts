import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageLiveThenFinished, type LiveAndFinished } from './live-then-finished';

const tables = (live: string[], finished: string[], reads: string[] = []): LiveAndFinished<string> => ({
  countLive: async () => live.length,
  countFinished: async () => finished.length,
  live: async (offset, limit) => {
    reads.push(`live ${offset}+${limit}`);
    return live.slice(offset, offset + limit);
  },
  finished: async (offset, limit) => {
    reads.push(`finished ${offset}+${limit}`);
    return finished.slice(offset, offset + limit);
  },
});

test('pages run through the live tasks and on into the finished ones, reading only the tables a page needs', async () => {
  const live = ['l1', 'l2', 'l3'];
  const finished = ['f1', 'f2', 'f3', 'f4'];
  const pages = [];
  const reads: string[] = [];
  for (let offset = 0; offset < 8; offset += 2)
    pages.push(await pageLiveThenFinished(tables(live, finished, reads), offset, 2));
  assert.deepEqual(pages, [
    [['l1', 'l2'], 7],
    [['l3', 'f1'], 7],
    [['f2', 'f3'], 7],
    [['f4'], 7],
  ]);
  assert.deepEqual(reads, ['live 0+2', 'live 2+2', 'finished 0+1', 'finished 1+2', 'finished 3+2']);
});

test('a table the filter rules out is neither counted nor read', async () => {
  const onlyFinished = { ...tables(['l1'], ['f1', 'f2']), countLive: undefined };
  assert.deepEqual(await pageLiveThenFinished(onlyFinished, 0, 10), [['f1', 'f2'], 2]);
  const onlyLive = { ...tables(['l1'], ['f1', 'f2']), countFinished: undefined };
  assert.deepEqual(await pageLiveThenFinished(onlyLive, 0, 10), [['l1'], 1]);
});
