// Node additions to the upload client: files by path read lazily, hashing in a worker thread, resume records in a JSON file, requests over node:http.
export { openFile, type FileSource } from './file-source.js';
export { JsonFileResumeStore, defaultResumeFile } from './json-file-resume-store.js';
export { workerThreadHasher } from './worker-thread-hasher.js';
export { uploadPath } from './upload-path.js';
export { nodeHttpFetch } from './node-http-fetch.js';
