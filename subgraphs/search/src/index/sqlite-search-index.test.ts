import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { searchIndexContract } from './search-index.contract';
import { SqliteSearchIndex } from './sqlite-search-index';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

searchIndexContract('SqliteSearchIndex', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lh-search-'));
  dirs.push(dir);
  return new SqliteSearchIndex(join(dir, 'nested', 'search.sqlite'));
});
