import 'reflect-metadata';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { Gauge } from 'prom-client';
import type { Config } from '@learnhub/platform/config';
import { databaseReadiness } from '@learnhub/platform/database';
import { startSubgraph, type RunningSubgraph } from '@learnhub/platform/graphql';
import type { Logger } from '@learnhub/platform/logger';
import { redisSettingsOf } from '@learnhub/platform/redis';
import { TaskWakeup } from '@learnhub/platform/tasks';
import { PausePoints } from '@learnhub/platform/faults';
import { createObjectStore } from '@learnhub/platform/object-store';
import { FileUrlSigner } from '@learnhub/platform/object-store';
import { HttpCourseUsage } from './client/http-course-usage';
import { openMediaDatabase } from './database/media-database';
import type { MediaServices } from './graphql/media-context';
import { mountFileRoute } from './http/file-route';
import { mountPublicationRoute } from './http/publication-route';
import { mountChunkUploadRoute } from './http/chunk-upload-route';
import { ChunkUploadTokens } from './rules/chunk-upload-token';
import { CoursePublicationRepository } from './repositories/course-publication.repository';
import { CoursePublicationService } from './services/course-publication.service';
import { MediaRepository } from './repositories/media.repository';
import { buildMediaSchema } from './schema';
import { MediaService } from './services/media.service';
import { UploadSessionService, type UploadSettings } from './services/upload-session.service';
import { TranscodeTaskRepository } from './repositories/transcode-task.repository';
import { UploadSessionRepository } from './repositories/upload-session.repository';
import { findFfprobe } from './video-tools/ffmpeg-binaries';
import { FfprobeProber } from './video-tools/ffprobe-prober';
import { TranscodeQueue } from './services/transcode-queue';
import { TranscodeTaskService } from './services/transcode-task.service';

/** A copy of a chunk waits this much longer than the body idle limit for another copy of it, which by then has let go if it went silent. */
const CHUNK_WAIT_MARGIN_MS = 5_000;

/** Opens the media database (migrating it) and the object store, and serves the media subgraph. */
export async function startMedia(config: Config, logger: Logger, port = config.media.port): Promise<RunningSubgraph> {
  const orm = await openMediaDatabase(config.media.databaseUrl, { logger });
  const store = createObjectStore(config.objectStore, config.files);
  const prober = new FfprobeProber(findFfprobe(config.media.ffprobePath));
  const wakeup = TaskWakeup.for(config.media.databaseUrl, redisSettingsOf(config), logger);
  const transcoding = new TranscodeQueue(prober, store, wakeup);
  const courseUsage = new HttpCourseUsage(config.gateway.contentUrl, config.gatewaySecret);
  const settings = { tempDir: join(config.dataDir, 'tmp'), uploadMaxBytes: config.limits.uploadMaxBytes };
  const uploadSettings: UploadSettings = {
    chunkSize: config.limits.chunkSize,
    maxFileBytes: config.limits.maxFileBytes,
    sessionTtlSeconds: config.limits.uploadSessionTtlSeconds,
    quotaSessions: config.limits.uploadQuotaSessions,
    quotaBytes: config.limits.uploadQuotaBytes,
    // Any secret every media process shares and clients never see keys the possession challenges.
    proofKey: config.auth.jwtSecret ?? config.gatewaySecret ?? config.media.databaseUrl,
    mergeWaitMs: config.limits.uploadMergeWaitMs,
    chunkWaitMs: config.http.bodyIdleMs + CHUNK_WAIT_MARGIN_MS,
    mergeLease: { leaseMs: config.limits.uploadMergeLeaseMs, owner: `media:${hostname()}:${process.pid}` },
    chunkUrls: {
      tokens: new ChunkUploadTokens(config.files.urlSecret),
      publicUrl: config.gateway.publicUrl,
      ttlSeconds: config.limits.uploadUrlTtlSeconds,
    },
  };
  const pauses = new PausePoints(config.testPauseAt);
  const gauges = {
    mergeWaits: new Gauge({
      name: 'media_upload_merge_waiters',
      help: "Merge and abort calls waiting for another request's merge of the same upload",
      registers: [],
    }),
    chunkWrites: new Gauge({
      name: 'media_upload_chunk_writers',
      help: 'Chunk uploads writing their bytes into the object store',
      registers: [],
    }),
    chunkWaits: new Gauge({
      name: 'media_upload_chunk_waiters',
      help: 'Chunk uploads waiting for another copy of the same chunk to finish',
      registers: [],
    }),
  };
  const uploadsFor = (em: EntityManager, log: Logger) =>
    new UploadSessionService(
      new UploadSessionRepository(em),
      new MediaRepository(em),
      store,
      uploadSettings,
      log,
      transcoding,
      { pauses, ...gauges },
    );
  try {
    const running = await startSubgraph<MediaServices>(
      {
        name: 'media',
        config,
        logger,
        schema: await buildMediaSchema(),
        readiness: [databaseReadiness(orm), { name: 'object store', check: () => store.ping() }, ...wakeup.readiness()],
        registerMetrics: (registry) => Object.values(gauges).forEach((gauge) => registry.registerMetric(gauge)),
        routes: (app) => {
          const signer = new FileUrlSigner(config.files.urlSecret);
          // No cache: one indexed query per request, so a course taken offline closes its media at once.
          mountFileRoute(app, store, {
            signer,
            isPublic: (bucket, key) => new CoursePublicationRepository(orm.em.fork()).isPublic(bucket, key),
          });
          mountChunkUploadRoute(app, (log) => uploadsFor(orm.em.fork(), log), config.gatewaySecret);
          mountPublicationRoute(
            app,
            () => new CoursePublicationService(new CoursePublicationRepository(orm.em.fork())),
            config.gatewaySecret,
          );
        },
        extendContext: ({ log }) => {
          const em = orm.em.fork();
          return {
            media: new MediaService(new MediaRepository(em), store, settings, courseUsage),
            uploads: uploadsFor(em, log),
            transcodeTasks: new TranscodeTaskService(new TranscodeTaskRepository(em), wakeup),
            maxPageSize: config.limits.maxPageSize,
          };
        },
      },
      port,
      config.media.host,
    );
    return {
      port: running.port,
      async stop() {
        await running.stop();
        await Promise.all([orm.close(), store.close(), wakeup.close()]);
      },
    };
  } catch (error) {
    await Promise.all([orm.close(), store.close(), wakeup.close()]);
    throw error;
  }
}
