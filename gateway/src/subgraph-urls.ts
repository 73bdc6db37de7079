import { Kind, parse } from 'graphql';
import type { Config } from '@learnhub/platform/config';

/** Where each subgraph the gateway knows is (CONTENT_URL, MEDIA_URL, SEARCH_URL). */
const known: Record<string, (config: Config) => string> = {
  content: (config) => config.gateway.contentUrl,
  media: (config) => config.gateway.mediaUrl,
  search: (config) => config.gateway.searchUrl,
};

/** The subgraph names a supergraph declares (`enum join__Graph { X @join__graph(name: "x", url: ...) }`). */
export function subgraphNames(supergraphSdl: string): string[] {
  const graphs = parse(supergraphSdl).definitions.find(
    (definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  if (graphs?.kind !== Kind.ENUM_TYPE_DEFINITION)
    throw new Error('The supergraph declares no subgraphs (no join__Graph enum).');
  return (graphs.values ?? []).map((value) => {
    const name = value.directives
      ?.find((directive) => directive.name.value === 'join__graph')
      ?.arguments?.find((argument) => argument.name.value === 'name')?.value;
    if (name?.kind !== Kind.STRING)
      throw new Error(`The supergraph's join__Graph value ${value.name.value} has no @join__graph(name:).`);
    return name.value;
  });
}

/**
 * The URL of every subgraph in the supergraph, from configuration by name (the URLs written
 * into the supergraph are ignored); throws naming any subgraph the gateway does not know.
 */
export function subgraphUrls(supergraphSdl: string, config: Config): Map<string, string> {
  const urls = new Map<string, string>();
  for (const name of subgraphNames(supergraphSdl)) {
    const url = known[name];
    if (!url) {
      throw new Error(
        `The supergraph has a subgraph "${name}" the gateway does not know; known subgraphs: ${Object.keys(known).join(', ')}.`,
      );
    }
    urls.set(name, url(config));
  }
  return urls;
}
