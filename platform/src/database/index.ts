export * from './clock-sql';
export * from './contains-text';
export * from './database-url';
export * from './open-database';
export * from './raw-sql';
export * from './row-id';
export * from './row-lock';
export * from './schema-migration';
