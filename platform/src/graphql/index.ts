export * from './federated-schema';
export * from './format-error';
export * from './loaders';
export * from './page';
export * from './subgraph-context';
export * from './subgraph-server';
