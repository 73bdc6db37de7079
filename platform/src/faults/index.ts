export * from './pause-points';
