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
