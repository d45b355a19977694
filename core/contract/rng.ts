/**
 * A small seeded PRNG (sfc32) that gantry uses for everything random: data batches, latent
 * noise, evaluation samples and the seeds handed to weight initializers. Drawing numbers in JS
 * rather than with tfjs random ops keeps a run identical across the cpu, wasm and webgpu
 * backends, and lets a run's random state be saved as four integers.
 *
 * @module
 */

/** The state of an {@linkcode Rng}: four 32-bit words. */
export type RngState = [number, number, number, number];

/** A seeded stream of random numbers. */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform float in [0, 1). */
  uniform(): number;
  /** A standard normal float. */
  normal(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A nonzero seed for tfjs (which treats 0 as "unseeded"). */
  seed(): number;
  /** A new independent stream, derived from this one's seed and a label. */
  fork(label: string): Rng;
  /** Fills `out` with normal (or uniform in [-1, 1)) floats and returns it. */
  fill(out: Float32Array, distribution?: "normal" | "uniform"): Float32Array;
  /** The current state, to save in a checkpoint. */
  state(): RngState;
}

function hashString(text: string, start: number): number {
  let h = start >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Creates a seeded random stream (sfc32) from a seed (any integer) or a saved state; gantry
 * draws all its randomness from these.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRng } from "./rng.ts";
 * const a = createRng(1), b = createRng(1);
 * assert.ok(a.uniform() === b.uniform());
 * ```
 */
export function createRng(seed: number | RngState): Rng {
  let [a, b, c, d] = typeof seed === "number"
    ? [0x9e3779b9, 0x243f6a88, 0xb7e15162, (seed >>> 0) ^ Math.floor(seed / 2 ** 32)]
    : seed;
  const uint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  if (typeof seed === "number") { for (let i = 0; i < 12; i++) uint32(); }
  const uniform = () => uint32() / 2 ** 32;
  // Box-Muller without caching the second value, so that state() is the whole state;
  // 1 - u keeps the logarithm finite.
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return {
    uint32,
    uniform,
    normal,
    int: (n) => Math.floor(uniform() * n),
    seed: () => (uint32() % 2147483646) + 1,
    fork: (label) => createRng(hashString(label, uint32())),
    fill(out, distribution = "normal") {
      if (distribution === "normal") { for (let i = 0; i < out.length; i++) out[i] = normal(); }
      else for (let i = 0; i < out.length; i++) out[i] = 2 * uniform() - 1;
      return out;
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}
