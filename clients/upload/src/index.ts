// The upload client for browsers and Node: resumable chunked uploads to the platform over fetch.
export { uploadFile, discardUpload, defaultHasher, type UploadOptions, type UploadResult } from './upload-file.js';
export { UploadError, type ClientErrorCode, type UploadErrorDetails } from './upload-error.js';
export type { UploadPhase, UploadProgress } from './upload-progress.js';
export { resumeKeyOf, type UploadSource } from './upload-source.js';
export type { UploadedMedia, UploadStatus } from './upload-api.js';
export type { ResumeRecord, ResumeStore } from './resume/resume-store.js';
export { LocalStorageResumeStore } from './resume/local-storage-store.js';
export type { FileHasher } from './hashing/file-hasher.js';
export type { FileDigests } from './hashing/chunked-digest.js';
export { inlineHasher } from './hashing/inline-hasher.js';
export { browserWorkerHasher, type BrowserWorkerHasherOptions } from './hashing/browser-worker-hasher.js';
export type { TransportName } from './transports/chunk-transport.js';
export { waitUntilPlayable, type PlayableWaitOptions } from './playable-wait.js';
export type { Fetch } from './http-request.js';
