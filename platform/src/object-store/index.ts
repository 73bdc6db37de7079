export * from './create-object-store';
export * from './local-object-store';
export * from './object-input';
export * from './object-store';
export * from './signed-file-url';
