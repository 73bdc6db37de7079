import { openFile, type FileSource } from '../node/file-source.js';
import { JsonFileResumeStore } from '../node/json-file-resume-store.js';
import { nodeHttpFetch } from '../node/node-http-fetch.js';
import { workerThreadHasher } from '../node/worker-thread-hasher.js';
import { waitUntilPlayable } from '../playable-wait.js';
import type { UploadedMedia } from '../upload-api.js';
import { UploadError } from '../upload-error.js';
import { discardUpload, type UploadResult, uploadFile } from '../upload-file.js';
import type { CliOptions } from './cli-options.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { bytesText } from './human-units.js';
import { BarsView, LinesView, type ProgressView, SilentView } from './progress-view.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** One file's outcome, as `--json` prints it (one line per file). */
export type FileOutcome =
  | {
      file: string;
      ok: true;
      mediaId: string;
      fileMd5: string;
      size: number;
      url: string;
      type: string;
      mimeType: string;
      instant: boolean;
      proved: boolean;
      resumed: boolean;
      chunkTotal: number;
      reusedChunks: number;
      sentChunks: number;
      transport: string;
      playable: boolean;
      transcodeState: string;
      seconds: number;
    }
  | { file: string; ok: true; discarded: boolean }
  | { file: string; ok: false; error: { code: string; reason?: string; message: string } };

function viewFor(options: CliOptions, io: CommandIo): ProgressView {
  if (options.quiet) return new SilentView();
  if (io.stderr.isTTY) return new BarsView(io.stderr);
  return options.json ? new SilentView() : new LinesView(io.stderr);
}

/** What happened to a file that went up, in words. */
function howItWent(result: UploadResult): string {
  if (result.instant) return result.proved ? 'shared with a possession proof, nothing sent' : 'already in your library';
  if (result.reusedChunks > 0)
    return `resumed: ${result.reusedChunks} of ${result.chunkTotal} chunks were already stored, ${result.sentChunks} sent`;
  return `${result.sentChunks} chunk${result.sentChunks === 1 ? '' : 's'} sent`;
}

function success(file: string, result: UploadResult, media: UploadedMedia, startedAt: number): FileOutcome {
  return {
    file,
    ok: true,
    mediaId: media.id,
    fileMd5: result.fileMd5,
    size: Number(media.size),
    url: media.url,
    type: media.type,
    mimeType: media.mimeType,
    instant: result.instant,
    proved: result.proved,
    resumed: result.resumed,
    chunkTotal: result.chunkTotal,
    reusedChunks: result.reusedChunks,
    sentChunks: result.sentChunks,
    transport: result.transport,
    playable: media.playable,
    transcodeState: media.transcodeState,
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
}

function failure(file: string, error: unknown): FileOutcome {
  if (error instanceof UploadError)
    return { file, ok: false, error: { code: error.code, reason: error.reason, message: error.message } };
  return { file, ok: false, error: { code: 'UNEXPECTED', message: (error as Error).message ?? String(error) } };
}

/** What a person reads about a file's failure, with what to do when there is something to do. */
function failureText(error: unknown): string {
  if (!(error instanceof UploadError)) return (error as Error).message ?? String(error);
  const code = [error.code, error.reason].filter(Boolean).join(' ');
  const hint =
    error.code === 'ABORTED'
      ? ' Run the same command again to resume.'
      : exitCodeOf(error) === ExitCode.UNREACHABLE
        ? ' Run the same command again to resume: chunks already sent are kept.'
        : error.code === 'UNAUTHENTICATED'
          ? ' Check the token (--token or LEARNHUB_TOKEN): it may have expired.'
          : '';
  return `${error.message} [${code}]${hint}`;
}

/**
 * Uploads (or with --discard gives up) each file in turn and reports each one. A refused file does
 * not stop the others; an interruption or an unreachable server does, and later files are
 * reported as not started. Answers the exit code: that of the first file that failed.
 */
export async function runUploadCommand(options: CliOptions, io: CommandIo, signal: AbortSignal): Promise<number> {
  // Every file is opened before anything is sent, so a typo in the last name does not wait for the first upload.
  const sources: FileSource[] = [];
  for (const path of options.files) {
    try {
      sources.push(await openFile(path));
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      io.stderr.write(`learnhub-upload: cannot open ${path}: ${why}. Nothing was uploaded.\n`);
      return ExitCode.USAGE;
    }
  }

  const store = new JsonFileResumeStore(options.statePath);
  const hasher = workerThreadHasher();
  const view = viewFor(options, io);
  // Under progress bars a result line would be drawn over: they come once the bars stop (the bars say how each file ended meanwhile).
  const later: string[] = [];
  const report = (outcome: FileOutcome, text: string) => {
    if (options.json) io.stdout.write(`${JSON.stringify(outcome)}\n`);
    else if (view instanceof BarsView) later.push(text);
    else io.stdout.write(`${text}\n`);
  };
  let exitCode: number = ExitCode.OK;
  let stoppedBy: string | undefined;
  const common = {
    endpoint: options.endpoint,
    token: options.token,
    resumeStore: store,
    hasher,
    signal,
    fetch: nodeHttpFetch,
  };

  const lines = sources.map((source) => view.add(source.name, source.size));
  try {
    for (const [i, source] of sources.entries()) {
      const line = lines[i];
      const name = options.files[i];
      if (stoppedBy) {
        line.end('not started');
        report(
          { file: name, ok: false, error: { code: 'NOT_STARTED', message: `Not started: ${stoppedBy}.` } },
          `- ${name}: not started (${stoppedBy}).`,
        );
        continue;
      }
      const startedAt = Date.now();
      try {
        if (options.discard) {
          const discarded = await discardUpload(source, common);
          line.end(discarded ? 'discarded' : 'nothing to discard');
          report(
            { file: name, ok: true, discarded },
            discarded
              ? `✔ ${name}: its unfinished upload was given up on the server.`
              : `✔ ${name}: no unfinished upload on the server (forgotten here too).`,
          );
          continue;
        }
        const result = await uploadFile(source, {
          ...common,
          tags: options.tags,
          remark: options.remark,
          concurrency: options.concurrency,
          transport: options.transport,
          retries: options.retries,
          onProgress: (progress) => line.progress(progress),
          onNotice: (message) => view.notice(message),
        });
        let media = result.media;
        if (options.wait && !media.playable) {
          media = await waitUntilPlayable(media.id, {
            endpoint: options.endpoint,
            token: options.token,
            timeoutMs: options.waitTimeoutMs,
            onUpdate: (update) => line.transcoding(update),
            signal,
          });
        }
        const playable = media.playable
          ? 'playable'
          : `not playable yet (transcoding ${media.transcodeState.toLowerCase()})`;
        line.end(`done, ${media.playable ? 'playable' : 'transcoding'}`);
        report(
          success(name, result, media, startedAt),
          `✔ ${name} → media ${media.id} (${bytesText(Number(media.size))}; ${howItWent(result)}; ${playable})\n  ${media.url}`,
        );
      } catch (error) {
        const code = exitCodeOf(error);
        line.end(code === ExitCode.INTERRUPTED ? 'interrupted' : 'failed');
        report(failure(name, error), `✘ ${name}: ${failureText(error)}`);
        if (exitCode === ExitCode.OK) exitCode = code;
        if (code === ExitCode.INTERRUPTED) stoppedBy = 'the command was interrupted';
        else if (code === ExitCode.UNREACHABLE) stoppedBy = 'the server could not be reached';
      }
    }
  } finally {
    view.stop();
    for (const text of later) io.stdout.write(`${text}\n`);
  }
  return exitCode;
}
