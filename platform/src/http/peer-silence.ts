import type { ClientRequest } from 'node:http';

/**
 * For a connection's idle timer: returns a check, to call each time the timer fires, that says
 * whether the peer is the one gone silent. It is not while our side holds the bytes back
 * (`heldBack`: a full buffer, a slow reader downstream), nor at the first look after our side
 * did, as it may only just have caught up: the peer always gets a whole idle limit of our side
 * being ready.
 */
export function peerSilence(heldBack: () => boolean): () => boolean {
  let held = false;
  return () => {
    const heldBefore = held;
    held = heldBack();
    return !held && !heldBefore;
  };
}

/**
 * Calls `onSilent` once the server of `request` has neither taken nor sent a byte for a whole
 * `idleMs` while our side was ready (see peerSilence), for as long as the request lives. It keeps
 * its own timer: node tells a request of its socket's idle timer only once.
 */
export function onPeerSilence(
  request: ClientRequest,
  idleMs: number,
  heldBack: () => boolean,
  onSilent: () => void,
): void {
  const silent = peerSilence(heldBack);
  request.once('socket', (socket) => {
    const traffic = () => socket.bytesRead + socket.bytesWritten;
    let seen = traffic();
    const timer = setInterval(() => {
      if (traffic() !== seen) return void (seen = traffic());
      // Our own process may be the one that was not running (busy, short of CPU): what arrived meanwhile is read first.
      setImmediate(() => {
        if (request.destroyed || traffic() !== seen) return;
        if (silent()) {
          clearInterval(timer);
          onSilent();
        }
      });
    }, idleMs);
    request.once('close', () => clearInterval(timer));
  });
}
