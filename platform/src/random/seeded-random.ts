/**
 * A small seeded pseudo-random source (mulberry32), uniform in [0, 1): the same seed gives the
 * same series, so a generated fixture comes out the same and a failing random test can be replayed.
 * Statistical quality beyond "looks random" does not matter where it is used.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
