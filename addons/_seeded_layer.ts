import { type tfl, z } from "../deps.ts";
import type { Addon } from "../core/contract/plugin.ts";
import type { Rng } from "../core/contract/rng.ts";
import { createSeedStream, type SeedSource } from "../layers/seed_stream.ts";

/** Where a seeded-noise add-on goes: "input", D's input; "hidden", after every activation. */
export const at = z.enum(["input", "hidden"]).default("hidden");

/**
 * The contract of an add-on that splices a seeded random layer at one kind of site: each layer
 * draws from one seed stream, which checkpoints carry, so a resumed run replays its noise.
 */
export function seededLayerAddon(
  plugin: string,
  { options, rng }: { options: { at: z.output<typeof at> }; rng: Rng },
  layer: (seeds: SeedSource) => tfl.layers.Layer,
): Addon {
  const stream = createSeedStream(rng, plugin);
  return {
    point: options.at === "input" ? "input" : "post-activation",
    perExample: true,
    layer: () => layer(stream.seeds),
    saveState: stream.saveState,
    loadState: stream.loadState,
  };
}
