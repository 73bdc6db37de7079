import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '@learnhub/platform/config';

/**
 * Depth, cost, alias and token limits on every operation, checked before it is planned.
 * The token limit is graphql-js's own (`parseOptions.maxTokens`): graphql-armor's throws from
 * an Apollo hook that turns its rejection into an HTTP 500, and parses every document twice.
 */
export function queryLimits(config: Config) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    costLimit: { maxCost: config.limits.maxCost },
    maxAliases: { n: config.limits.maxAliases },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.env === 'production' },
  }).protect();
  return { plugins, validationRules, parseOptions: { maxTokens: config.limits.maxTokens } };
}
