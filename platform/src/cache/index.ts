export * from './cache';
export * from './cache-unavailable-error';
export * from './create-cache';
export * from './no-cache';
export * from './redis-cache';
