export * from './bench-harness';
export * from './bench-support';
