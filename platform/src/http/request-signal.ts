import type { IncomingMessage, ServerResponse } from 'node:http';

/** Aborted when the client goes away before its answer was sent, so work done only for it can stop. */
export function requestSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error(`The client of ${req.method} ${req.url} went away.`));
  });
  return controller.signal;
}
