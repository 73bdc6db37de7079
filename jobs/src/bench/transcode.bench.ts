// `npm run bench` (jobs part): what running transcodes through the jobs engine costs over running
// the same ffmpeg commands directly. 8 short AVI clips (MPEG-4 part 2 + MP3, 640x360) queued as a
// merge queues them (a media row and a transcoding task each, in a real media database) and
// worked by an in-process JobsEngine with the TranscodeProcessor at concurrency 2, against the
// very argument lists FfmpegTranscoder builds, spawned directly 2 at a time, in the same run.
// Goal: jobs/direct ≤ 1.05. Then the same H.264/AAC MKV clip remuxed and re-encoded.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { MikroORM } from '@mikro-orm/core';
import { Registry } from 'prom-client';
import { runBenchmark } from '@learnhub/platform/bench';
import { readConfig } from '@learnhub/platform/config';
import { openDatabase } from '@learnhub/platform/database';
import { createLogger } from '@learnhub/platform/logger';
import { LocalObjectStore } from '@learnhub/platform/object-store';
import { TaskTable, type ClaimedTask } from '@learnhub/platform/tasks';
import { processorLeaseOf } from '@learnhub/platform/tasks';
import { TaskWakeup } from '@learnhub/platform/tasks';
import {
  MediaObject,
  MediaType,
  transcodeTasks,
  type TranscodePayload,
  mediaMigrations,
  MediaRepository,
  mediaEntities,
  findFfmpeg,
  findFfprobe,
  FfprobeProber,
  Buckets,
  videoKey,
  TranscodeQueue,
  type StoredObject,
  type TranscodeDecision,
  FfmpegTranscoder,
  transcodeModeOf,
  type TranscodeJob,
  TranscodeProcessor,
} from '@learnhub/media/testing';
import { JobsEngine } from '../engine/jobs-engine';
import type { TaskContext } from '@learnhub/platform/tasks';
import { median, printTable } from '@learnhub/platform/bench';

const execFileAsync = promisify(execFile);

const CLIPS = 8;
const CONCURRENCY = 2;
/** Runs of each side, alternating jobs/direct/direct/jobs/…; the median is compared. */
const ROUNDS = Number(process.env.TRANSCODE_BENCH_ROUNDS ?? 5);
const REMUX_ROUNDS = 3;
const GOAL_RATIO = 1.05;

interface Clip {
  file: string;
  md5: string;
  size: number;
  object: StoredObject;
  decision: TranscodeDecision;
}

/** ~6-10 s of 640x360 test picture, each clip its own hue, box and tone, so every file (and MD5) differs. */
function legacyClipArguments(i: number, mp3: string, file: string): string[] {
  const seconds = 6 + (i % 5);
  return [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=${220 + 55 * i}:sample_rate=44100:duration=${seconds}`],
    ...['-vf', `hue=h=${i * 45},drawbox=x=${40 + i * 60}:y=${30 + i * 30}:w=80:h=60:color=white@0.8:t=fill`],
    ...['-c:v', 'mpeg4', '-q:v', '4', '-c:a', mp3, '-b:a', '128k', '-ac', '2', file],
  ];
}

/** When each task's steps happened (performance.now()), as the processor and its transcoder saw them. */
interface TaskTimeline {
  processStart: number;
  ffmpegStart?: number;
  ffmpegEnd?: number;
  /** After the completing transaction committed. */
  processEnd?: number;
}

/** The task a transcode belongs to, from the work folder the processor names after it (`<taskId>-<random>/playback.mp4`). */
const taskOfJob = (job: TranscodeJob) => basename(dirname(job.output)).split('-')[0];

class TimedTranscoder extends FfmpegTranscoder {
  constructor(
    ffmpegPath: string,
    options: ConstructorParameters<typeof FfmpegTranscoder>[1],
    private readonly timelines: Map<string, TaskTimeline>,
  ) {
    super(ffmpegPath, options);
  }

  override async run(job: TranscodeJob): Promise<void> {
    const timeline = this.timelines.get(taskOfJob(job));
    if (timeline) timeline.ffmpegStart = performance.now();
    await super.run(job);
    if (timeline) timeline.ffmpegEnd = performance.now();
  }
}

/** Times each task's `process`, which ends after the completing transaction has committed, and says when `expected` have. */
class TimedProcessor extends TranscodeProcessor {
  /** Shared with the transcoder, which fills in ffmpeg's part. */
  timelines = new Map<string, TaskTimeline>();
  expected = Infinity;
  private allDone?: () => void;
  readonly done = new Promise<void>((resolve) => (this.allDone = resolve));

  override async process(task: ClaimedTask<TranscodePayload>, context: TaskContext): Promise<void> {
    const timeline: TaskTimeline = { processStart: performance.now() };
    this.timelines.set(task.id, timeline);
    await super.process(task, context);
    timeline.processEnd = performance.now();
    if ([...this.timelines.values()].filter((t) => t.processEnd !== undefined).length >= this.expected)
      this.allDone?.();
  }
}

interface JobsRound {
  seconds: number;
  /** performance.now() when the first merge began, and when the last of them had committed. */
  enqueueStart: number;
  enqueueEnd: number;
  tasks: Required<TaskTimeline>[];
}

runBenchmark('transcode', async ({ dir }) => {
  const config = readConfig();
  const ffmpeg = findFfmpeg(config.media.ffmpegPath);
  const prober = new FfprobeProber(findFfprobe(config.media.ffprobePath));
  const transcoderOptions = { preset: config.jobs.transcodePreset };
  const log = createLogger('transcode-bench', 'warn');
  const { stdout: encoders } = await execFileAsync(ffmpeg, ['-hide_banner', '-encoders']);
  if (!/\blibx264\b/.test(encoders))
    throw new Error(`${ffmpeg} has no libx264 encoder; point FFMPEG_PATH at an ffmpeg that has.`);
  // As the media tests pick it: builds without LAME still make an AVI browsers cannot play, with MPEG audio layer 2.
  const mp3 = ['libmp3lame', 'libshine'].find((name) => new RegExp(`\\b${name}\\b`).test(encoders)) ?? 'mp2';
  console.log(
    `Transcode benchmark: ${CLIPS} AVI clips (MPEG-4 part 2 + ${mp3}, 640x360, 25 fps, 6-10 s) re-encoded to H.264/AAC MP4 + poster (libx264 ${transcoderOptions.preset}), ` +
      `concurrency ${CONCURRENCY} (${availableParallelism()} cores), ffmpeg ${ffmpeg}.\n` +
      `Through the jobs: an in-process JobsEngine + TranscodeProcessor on a SQLite media database and a local object store; each clip recorded as a merge records it ` +
      `(media object with the probe's duration and size, library entry, transcoding task with the probe's codecs and duration, one transaction), the engine woken in process ` +
      `(the file wake-up reaches the same process too), timed from the first enqueue until all ${CLIPS} tasks are in media_process_history.\n` +
      `Direct: FfmpegTranscoder.argumentsFor() of the same jobs, spawned with child_process ${CONCURRENCY} at a time on the same input files.\n` +
      `${ROUNDS} runs of each side, alternating (jobs, direct, direct, jobs, …); the medians are compared.\n`,
  );

  // The clips, in the object store at their video keys, and what the merge-time probe says of each.
  const store = new LocalObjectStore({ root: join(dir, 'store'), publicUrl: 'http://127.0.0.1:1/files' });
  const sources = join(dir, 'sources');
  await mkdir(sources, { recursive: true });
  const generated = performance.now();
  const files: string[] = [];
  for (let i = 0; i < CLIPS; i += 2) {
    await Promise.all(
      [i, i + 1].map(async (n) => {
        files[n] = join(sources, `clip-${n}.avi`);
        await execFileAsync(ffmpeg, legacyClipArguments(n, mp3, files[n]));
      }),
    );
  }
  const transcodeQueue = new TranscodeQueue(prober, store);
  const clips: Clip[] = [];
  for (const file of files) {
    const md5 = createHash('md5')
      .update(await readFile(file))
      .digest('hex');
    const size = (await stat(file)).size;
    const object: StoredObject = {
      fileMd5: md5,
      type: MediaType.VIDEO,
      bucket: Buckets.video,
      objectKey: videoKey(md5, '.avi'),
    };
    await store.put(object.bucket, object.objectKey, createReadStream(file), { contentType: 'video/x-msvideo', size });
    const decision = await transcodeQueue.inspect(object);
    if (!decision.needed || transcodeModeOf(decision.probe!) !== 'encode')
      throw new Error(`clip ${file} does not need a re-encode: ${JSON.stringify(decision)}`);
    const source = await store.readSource(object.bucket, object.objectKey);
    clips.push({ file: 'path' in source ? source.path : source.url, md5, size, object, decision });
  }
  const totalSeconds = clips.reduce((sum, c) => sum + (c.decision.probe?.durationSeconds ?? 0), 0);
  console.log(
    `generated ${CLIPS} clips (${totalSeconds.toFixed(1)} s of video, ${(clips.reduce((s, c) => s + c.size, 0) / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - generated) / 1000).toFixed(1)} s; ` +
      `probe of the first: ${JSON.stringify(clips[0].decision.probe)}`,
  );

  // fluent-ffmpeg lists ffmpeg's formats and encoders once per process before its first command; a jobs process pays that once in its life, so neither side pays it here.
  const warmTranscoder = new FfmpegTranscoder(ffmpeg, transcoderOptions);
  const firstUse = performance.now();
  await warmTranscoder.run({ input: clips[0].file, output: join(dir, 'warm.mp4'), mode: 'remux' });
  const firstUseMs = performance.now() - firstUse;
  const secondUse = performance.now();
  await warmTranscoder.run({ input: clips[0].file, output: join(dir, 'warm.mp4'), mode: 'remux' });
  const secondUseMs = performance.now() - secondUse;
  console.log(
    `warm-up: the first FfmpegTranscoder.run in a process took ${firstUseMs.toFixed(0)} ms, the second ${secondUseMs.toFixed(0)} ms (a remux of one clip): ` +
      `the difference is fluent-ffmpeg's one-time capability listing.\n`,
  );

  let round = 0;
  const throughJobs = async (): Promise<JobsRound> => {
    const roundDir = join(dir, `jobs-${++round}`);
    const url = `sqlite:${join(roundDir, 'media.sqlite')}`;
    const orm: MikroORM = await openDatabase({ url, entities: mediaEntities, migrations: mediaMigrations });
    const wakeup = TaskWakeup.for(url, undefined, log);
    const timelines = new Map<string, TaskTimeline>();
    const transcoder = new TimedTranscoder(ffmpeg, transcoderOptions, timelines);
    const processor = new TimedProcessor(new TaskTable(orm.em.fork(), transcodeTasks), store, transcoder, prober, {
      concurrency: CONCURRENCY,
      lease: processorLeaseOf(config.jobs),
      stallMs: config.jobs.transcodeStallMs,
      workDir: join(roundDir, 'work'),
    });
    const engine = new JobsEngine(
      {
        workerId: `transcode-bench-${round}`,
        heartbeatMs: config.jobs.heartbeatMs,
        memberTtlMs: config.jobs.heartbeatMs * 3,
        pollMs: config.jobs.pollMs,
        groupPrefix: 'bench:',
      },
      [processor],
      [],
      [wakeup],
      new Registry(),
      log,
    );
    const queue = new TranscodeQueue(prober, store, wakeup);
    processor.expected = CLIPS;
    processor.timelines = timelines;
    await engine.start();
    try {
      const count = async () =>
        Number(
          (await orm.em.getConnection().execute('select count(*) as n from media_process_history', [], 'all'))[0].n,
        );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`the jobs did not finish ${CLIPS} transcodes within 10 minutes`)),
            600_000,
          )),
      );
      const started = performance.now();
      let enqueueEnd = started;
      for (const [i, clip] of clips.entries()) {
        const { probe } = clip.decision;
        await new MediaRepository(orm.em.fork()).record(
          {
            ...clip.object,
            mimeType: 'video/x-msvideo',
            size: clip.size,
            durationSeconds: probe?.durationSeconds,
            width: probe?.width,
            height: probe?.height,
          },
          { organisationId: 'bench-org', fileName: `clip-${i}.avi`, createdBy: 'bench' },
          (em) => queue.queue(em, clip.object, clip.decision),
        );
        // As the merge does once its transaction has committed, then the in-process wake.
        await queue.wake();
        enqueueEnd = performance.now();
        engine.wake(transcodeTasks.queue);
      }
      // The last task's completing transaction has committed when its process() returns; no polling to compete with ffmpeg for the CPU.
      await Promise.race([processor.done, timeout]).finally(() => clearTimeout(timer));
      const seconds = (performance.now() - started) / 1000;
      if ((await count()) !== CLIPS)
        throw new Error(`media_process_history holds ${await count()} tasks, not ${CLIPS}`);
      const played = await orm.em.fork().count(MediaObject, { playbackKey: { $ne: null }, posterKey: { $ne: null } });
      if (played !== CLIPS) throw new Error(`only ${played} of ${CLIPS} media point at a transcoded MP4 and poster`);
      const tasks = [...timelines.values()].filter(
        (t): t is Required<TaskTimeline> =>
          t.ffmpegStart !== undefined && t.ffmpegEnd !== undefined && t.processEnd !== undefined,
      );
      if (tasks.length !== CLIPS) throw new Error(`timed ${tasks.length} of ${CLIPS} tasks`);
      return { seconds, enqueueStart: started, enqueueEnd, tasks };
    } finally {
      await engine.stop(10_000);
      await Promise.all([orm.close(), wakeup.close()]);
      await rm(roundDir, { recursive: true, force: true });
    }
  };

  const directly = async (): Promise<{ seconds: number; ffmpegMs: number[] }> => {
    const roundDir = join(dir, `direct-${++round}`);
    const jobs = clips.map((clip, i) => {
      const out = join(roundDir, String(i));
      const job: TranscodeJob = {
        input: clip.file,
        output: join(out, 'playback.mp4'),
        poster: join(out, 'poster.jpg'),
        mode: transcodeModeOf(clip.decision.probe!),
        durationSeconds: clip.decision.probe?.durationSeconds,
      };
      return { out, args: warmTranscoder.argumentsFor(job) };
    });
    const ffmpegMs: number[] = [];
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const { out, args } = jobs[next++];
        await mkdir(out, { recursive: true });
        const spawned = performance.now();
        await new Promise<void>((resolve, reject) => {
          const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let stderr = '';
          child.stdout.resume();
          child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr}`)),
          );
        });
        ffmpegMs.push(performance.now() - spawned);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - started) / 1000;
    await rm(roundDir, { recursive: true, force: true });
    return { seconds, ffmpegMs };
  };

  const jobsRounds: JobsRound[] = [];
  const directRuns: { seconds: number; ffmpegMs: number[] }[] = [];
  const directRounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? (['jobs', 'direct'] as const) : (['direct', 'jobs'] as const);
    for (const side of order) {
      if (side === 'jobs') {
        const result = await throughJobs();
        jobsRounds.push(result);
        console.log(`  jobs   run ${jobsRounds.length}: ${result.seconds.toFixed(2)} s`);
      } else {
        const result = await directly();
        directRuns.push(result);
        directRounds.push(result.seconds);
        console.log(`  direct run ${directRounds.length}: ${result.seconds.toFixed(2)} s`);
      }
    }
  }

  const jobsSeconds = median(jobsRounds.map((r) => r.seconds));
  const directSeconds = median(directRounds);
  const ratio = jobsSeconds / directSeconds;
  const bestRatio = Math.min(...jobsRounds.map((r) => r.seconds)) / Math.min(...directRounds);
  // Each lane works CLIPS / CONCURRENCY tasks one after another, so the extra wall time per task is the difference × CONCURRENCY / CLIPS.
  const overheadMs = ((jobsSeconds - directSeconds) * 1000 * CONCURRENCY) / CLIPS;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  // Lane time outside ffmpeg, per task: wall × lanes − Σ ffmpeg runs. In the jobs: the enqueue at the start, claiming, the processor's own work,
  // completing; directly: spawning; both: a lane idling at the end while the other finishes. The difference is the jobs' overhead, whatever ffmpeg's own speed did.
  const gap = (seconds: number, ffmpegMs: number[]) => (seconds * 1000 * CONCURRENCY - sum(ffmpegMs)) / CLIPS;
  const jobsFfmpegMs = (r: JobsRound) => r.tasks.map((t) => t.ffmpegEnd - t.ffmpegStart);
  const jobsGapMs = median(jobsRounds.map((r) => gap(r.seconds, jobsFfmpegMs(r))));
  const directGapMs = median(directRuns.map((r) => gap(r.seconds, r.ffmpegMs)));
  // Where the jobs' time outside ffmpeg goes, medians over all runs.
  const steps = jobsRounds.map((r) => {
    const starts = r.tasks.map((t) => t.processStart).sort((a, b) => a - b);
    const ends = r.tasks.map((t) => t.processEnd).sort((a, b) => a - b);
    return {
      enqueue: r.enqueueEnd - r.enqueueStart,
      firstFfmpeg: Math.min(...r.tasks.map((t) => t.ffmpegStart)) - r.enqueueStart,
      // With 2 lanes, the (k+2)-th task starts when the k-th finishes: the claim and start of the next task.
      claim: starts.slice(CONCURRENCY).map((start, k) => start - ends[k]),
      beforeFfmpeg: r.tasks.map((t) => t.ffmpegStart - t.processStart),
      afterFfmpeg: r.tasks.map((t) => t.processEnd - t.ffmpegEnd),
    };
  });
  console.log('');
  printTable(
    ['side', 'runs (s)', 'median s', 'best s', 'jobs/direct (median)', 'jobs/direct (best)'],
    [
      [
        'through the jobs',
        jobsRounds.map((r) => r.seconds.toFixed(2)).join(' '),
        jobsSeconds.toFixed(2),
        Math.min(...jobsRounds.map((r) => r.seconds)).toFixed(2),
        ratio.toFixed(3),
        bestRatio.toFixed(3),
      ],
      [
        'ffmpeg directly',
        directRounds.map((s) => s.toFixed(2)).join(' '),
        directSeconds.toFixed(2),
        Math.min(...directRounds).toFixed(2),
        '',
        '',
      ],
    ],
  );
  console.log(
    `\nPer-task overhead of the jobs: ${overheadMs.toFixed(0)} ms (median wall difference × ${CONCURRENCY} lanes / ${CLIPS} tasks).`,
  );
  console.log(
    `Lane time outside ffmpeg per task (wall × ${CONCURRENCY} − Σ ffmpeg runs, / ${CLIPS}; medians): jobs ${jobsGapMs.toFixed(0)} ms, direct ${directGapMs.toFixed(0)} ms: ` +
      `${(jobsGapMs - directGapMs).toFixed(0)} ms per task more, whatever ffmpeg's own speed did in each run. ` +
      `ffmpeg's own time per task, medians: jobs ${median(jobsRounds.flatMap(jobsFfmpegMs)).toFixed(0)} ms (FfmpegTranscoder.run), direct ${median(directRuns.flatMap((r) => r.ffmpegMs)).toFixed(0)} ms (spawn to close).`,
  );
  console.log('Where the jobs spend it (medians over all runs):');
  printTable(
    ['step', 'ms'],
    [
      [
        `recording ${CLIPS} merges (media object + entry + task, one transaction each), per run`,
        median(steps.map((s) => s.enqueue)).toFixed(1),
      ],
      ['first merge began → first ffmpeg started, per run', median(steps.map((s) => s.firstFfmpeg)).toFixed(1)],
      [
        'a task ended → the next one claimed and its process() started, per task',
        median(steps.flatMap((s) => s.claim)).toFixed(1),
      ],
      ['process() started → ffmpeg started, per task', median(steps.flatMap((s) => s.beforeFfmpeg)).toFixed(1)],
      [
        'ffmpeg ended → MP4 + poster stored and the completing transaction committed, per task',
        median(steps.flatMap((s) => s.afterFfmpeg)).toFixed(1),
      ],
    ],
  );
  console.log(
    `Goal jobs/direct ≤ ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'} (${ratio.toFixed(3)} by the medians).`,
  );

  // Remux vs re-encode of one H.264/AAC MKV clip, through FfmpegTranscoder.run as a task runs it (with its poster).
  const mkv = join(sources, 'h264.mkv');
  await execFileAsync(ffmpeg, [
    ...[
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25:duration=10',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:sample_rate=44100:duration=10',
    ],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', mkv],
  ]);
  const mkvProbe = await prober.probe({ path: mkv });
  if (transcodeModeOf(mkvProbe) !== 'remux')
    throw new Error(`the MKV clip would not be remuxed: ${JSON.stringify(mkvProbe)}`);
  const times: Record<'remux' | 'encode', number[]> = { remux: [], encode: [] };
  for (let i = 0; i < REMUX_ROUNDS; i++) {
    for (const mode of i % 2 === 0 ? (['remux', 'encode'] as const) : (['encode', 'remux'] as const)) {
      const out = join(dir, `mkv-${mode}-${i}`);
      await mkdir(out, { recursive: true });
      const started = performance.now();
      await warmTranscoder.run({
        input: mkv,
        output: join(out, 'playback.mp4'),
        poster: join(out, 'poster.jpg'),
        mode,
        durationSeconds: mkvProbe.durationSeconds,
      });
      times[mode].push(performance.now() - started);
      await rm(out, { recursive: true, force: true });
    }
  }
  const remuxMs = median(times.remux);
  const encodeMs = median(times.encode);
  console.log(
    `\nRemux vs re-encode of one ${mkvProbe.durationSeconds?.toFixed(1)} s 640x360 H.264/AAC MKV through FfmpegTranscoder.run (MP4 + poster), median of ${REMUX_ROUNDS}, alternating:`,
  );
  printTable(
    ['mode', 'runs (ms)', 'median ms'],
    [
      ['remux', times.remux.map((ms) => ms.toFixed(0)).join(' '), remuxMs.toFixed(0)],
      ['encode', times.encode.map((ms) => ms.toFixed(0)).join(' '), encodeMs.toFixed(0)],
    ],
  );
  console.log(
    `encode/remux: ${(encodeMs / remuxMs).toFixed(1)}× (a remux takes ${((remuxMs / encodeMs) * 100).toFixed(1)}% of a re-encode's time).`,
  );
});
