export * from './redis-link';
export * from './redis-settings';
