import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema, parse, printSchema } from 'graphql';
import { subgraphs } from './subgraphs';

/** Where the checked-in SDL files live: the schema workspace's root. */
export const schemaDir = join(__dirname, '..');

export interface ComposedSchema {
  /** File name → contents, for every subgraph SDL, the supergraph and the clients' API schema. */
  files: Map<string, string>;
}

/** Prints each subgraph's SDL and composes the supergraph; throws with every composition error. */
export async function composeSchema(): Promise<ComposedSchema> {
  const files = new Map<string, string>();
  const services = [];
  for (const subgraph of subgraphs) {
    const sdl = printSubgraphSchema(await subgraph.build());
    files.set(`${subgraph.name}.graphql`, `${sdl}\n`);
    services.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(sdl) });
  }
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  files.set(
    'supergraph.graphql',
    result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
  );
  // What clients see through the gateway, without federation's own types: typed operations are checked against it.
  files.set(
    'api.graphql',
    `${printSchema(lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema()))}\n`,
  );
  return { files };
}

/** The names of checked-in files that differ from a fresh composition. */
export async function staleFiles(composed: ComposedSchema): Promise<string[]> {
  const stale = [];
  for (const [name, contents] of composed.files) {
    const current = await readFile(join(schemaDir, name), 'utf8').catch(() => undefined);
    if (current !== contents) stale.push(name);
  }
  return stale;
}
