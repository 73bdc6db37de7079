#!/usr/bin/env node
// learnhub-upload (`npm run upload -- <files>`): authors' uploads from a terminal, resumable by running the same command again.
import { parseCliOptions, UsageError, usage } from './cli-options.js';
import { ExitCode } from './exit-codes.js';
import { runUploadCommand } from './upload-command.js';

async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseCliOptions(args, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`learnhub-upload: ${error.message}\nRun with --help for the options.\n`);
    return ExitCode.USAGE;
  }
  if (options.help) {
    process.stdout.write(usage);
    return ExitCode.OK;
  }

  // Ctrl-C (or SIGTERM) stops the uploads and keeps what the server holds; a second one quits at once.
  const interrupt = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    process.stderr.write(`\n${signal}: stopping; what was sent is kept. Press Ctrl-C again to quit at once.\n`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A closed stdout (piped into head) ends the output, not the uploads' bookkeeping.
  process.stdout.on('error', () => undefined);

  return runUploadCommand(options, { stdout: process.stdout, stderr: process.stderr }, interrupt.signal);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`learnhub-upload: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = ExitCode.REFUSED;
  },
);
