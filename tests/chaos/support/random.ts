/** A seeded PRNG (mulberry32): faults at "random" moments that a failing run can repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: CHAOS_SEED or the given default, printed with the figures. */
export function chaosSeed(fallback: number): number {
  const s = Number(process.env.CHAOS_SEED);
  return Number.isInteger(s) ? s : fallback;
}
