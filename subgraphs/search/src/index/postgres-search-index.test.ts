import { after } from 'node:test';
import { backendUrl } from '@learnhub/platform/testing';
import { postgresTestDatabase, type TestDatabase } from '@learnhub/platform/testing';
import { PostgresSearchIndex } from './postgres-search-index';
import { searchIndexContract } from './search-index.contract';

const server = backendUrl('postgres', 'PostgresSearchIndex');
if (server) {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const database of databases) await database.drop();
  });
  searchIndexContract('PostgresSearchIndex', async () => {
    const database = await postgresTestDatabase(server).create();
    databases.push(database);
    return PostgresSearchIndex.open(database.url);
  });
}
