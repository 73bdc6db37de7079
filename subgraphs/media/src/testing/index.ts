// What other workspaces' tests, helpers and benches may use of media: its database as the media
// service would migrate it, its queues' tables and processors, the video tools, and the service itself.
export { openMediaDatabase } from '../database/media-database';
export { mediaEntities } from '../entities/media-entities';
export { MediaObject, MediaType } from '../entities/media-object.entity';
export { transcodeTasks, type TranscodePayload } from '../entities/media-process.entity';
export { UploadState } from '../entities/upload-session.entity';
export { mediaMigrations } from '../migrations/migrations';
export { MediaProcessRepository } from '../repositories/media-process.repository';
export { MediaRepository } from '../repositories/media.repository';
export { UploadSessionRepository } from '../repositories/upload-session.repository';
export { Buckets, videoKey } from '../rules/object-keys';
export { TranscodeQueue, type StoredObject, type TranscodeDecision } from '../services/transcode-queue';
export type { VideoIntake } from '../services/upload-merge.service';
export { findFfmpeg, findFfprobe } from '../video-tools/ffmpeg-binaries';
export { FfmpegTranscoder, transcodeModeOf, type TranscodeJob } from '../video-tools/ffmpeg-transcoder';
export { FfprobeProber } from '../video-tools/ffprobe-prober';
export { encodeClip, makeLongLecture, makeTestClips, type ClipShape, type TestClips } from '../video-tools/test-clips';
export { TranscodeProcessor } from '../jobs/transcode-processor';
export { UploadCleanupProcessor } from '../jobs/upload-cleanup-processor';
export { startMedia } from '../server';
export { uploadToMedia } from './media-upload';
export { ChunkUploadTokens } from '../rules/chunk-upload-token';
