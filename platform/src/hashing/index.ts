export * from './file-md5';
