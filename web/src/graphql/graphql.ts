import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

/** Operations typed against the gateway's API schema (`schema/api.graphql`): a field that is not there fails the build. */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTimeISO: string; ID: string; BigInt: number | string };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
