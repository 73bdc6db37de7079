import pino, { type Logger } from 'pino';

export type { Logger };

/** A structured JSON logger for one process; `service` is on every line. */
export function createLogger(service: string, level = 'info'): Logger {
  // Synchronous: with pino's buffered default, a line still buffered when the process exits is
  // flushed by a loop that retries EPIPE for ever, so a service whose log reader died never exits.
  const destination = pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password'], censor: '[redacted]' },
    },
    destination,
  );
}
