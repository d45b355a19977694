/**
 * A resumable stream of tfjs seeds: what seeded random layers draw from, and what a plugin that
 * owns such layers keeps in the checkpoint so that a resumed run replays the same noise.
 *
 * @module
 */
import type { PluginState } from "../core/contract/plugin.ts";
import { createRng, type Rng, type RngState } from "../core/contract/rng.ts";

/** A source of tfjs seeds: each call returns the seed for one random op. */
export type SeedSource = () => number;

/** A seed source whose position a checkpoint can carry: what a noise add-on keeps. */
export interface SeedStream {
  /** The next seed; layers hold this function, so it always reads the current stream. */
  seeds: SeedSource;
  /** `{ rng: [a, b, c, d] }`, the stream's sfc32 state. */
  saveState(): PluginState;
  /** Puts the stream back where `saveState` found it, without rebuilding any layer. */
  loadState(state: PluginState): void;
}

/**
 * A private stream seeded once from the plugin's `rng`, so the plugin's draws depend on nothing
 * but the run's seed and the number of training calls before them. An architecture or add-on
 * returns its `saveState` / `loadState` so checkpoints carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRng } from "../core/contract/rng.ts";
 * import { createSeedStream } from "./seed_stream.ts";
 *
 * const stream = createSeedStream(createRng(1), "my-architecture");
 * const again = createSeedStream(createRng(1), "my-architecture");
 * assert.ok(stream.seeds() === again.seeds() && Array.isArray(stream.saveState().rng));
 * ```
 */
export function createSeedStream(rng: Rng, plugin: string): SeedStream {
  let stream = createRng(rng.seed());
  return {
    seeds: () => stream.seed(),
    saveState: () => ({ rng: stream.state() }),
    loadState(state) {
      const words = state.rng;
      if (
        !Array.isArray(words) || words.length !== 4 ||
        !words.every((w) =>
          typeof w === "number" && Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32
        )
      ) {
        throw new TypeError(
          `Cannot load ${plugin} state ${JSON.stringify(words ?? null)}: ` +
            "rng must be four 32-bit integers",
        );
      }
      stream = createRng((words as number[]).map((w) => w >>> 0) as RngState);
    },
  };
}
