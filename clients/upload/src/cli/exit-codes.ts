import { UploadError } from '../upload-error.js';

/** The CLI's exit codes; with several files, the code of the first that failed. */
export const ExitCode = {
  /** Every file is uploaded (and playable, with --wait). */
  OK: 0,
  /** The server refused a file (not a video, a quota, a bad token), its transcoding failed, or it changed while uploading. */
  REFUSED: 1,
  /** The command was used wrongly: a bad option, no token, a file that cannot be opened. */
  USAGE: 2,
  /** The server could not be reached, or kept failing, after the retries: run the same command again to resume. */
  UNREACHABLE: 3,
  /** Interrupted (Ctrl-C): run the same command again to resume. */
  INTERRUPTED: 130,
} as const;

export function exitCodeOf(error: unknown): number {
  if (!(error instanceof UploadError)) return ExitCode.REFUSED;
  if (error.code === 'ABORTED') return ExitCode.INTERRUPTED;
  // Whatever would have been retried, had retries been left, is worth the same command again later.
  if (error.retryable || error.code === 'HTTP_ERROR') return ExitCode.UNREACHABLE;
  return ExitCode.REFUSED;
}
