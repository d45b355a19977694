/**
 * `sample` draws from a saved generator: RUN/checkpoint/generator, as any finished run has.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tf } from "../deps.ts";
import { writeFileAtomic } from "./atomic.ts";
import { useBackend } from "./backend.ts";
import { loadGenerator, readCheckpointState } from "./checkpoint.ts";
import { backendFlag, integerFlag, registryForRun, UsageError } from "./cli_util.ts";
import { createRng } from "./rng.ts";
import { samplesPng } from "./run_directory.ts";

const SAMPLE_HELP = `Usage: deno task sample RUN [--n 64] [--out FILE.png] [--seed N] [--backend B]
                        [--plugin MODULE]...

Draws n samples from RUN's saved generator (RUN/checkpoint/) and writes a PNG: an image grid
for images, a scatter or histogram for points. Default --out: RUN/samples/drawn.png.
  --plugin MODULE    plugin modules (with the generator's custom layers) to load instead of
                     the run's config.plugins, which were named relative to its config file`;

/** `deno task sample RUN ...` */
export async function sampleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      n: { type: "string" },
      out: { type: "string" },
      seed: { type: "string" },
      backend: { type: "string", default: "auto" },
      plugin: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one RUN directory\n\n${SAMPLE_HELP}`);
  }
  const [run] = positionals;
  const n = integerFlag("n", values.n) ?? 64;
  if (n < 1) throw new UsageError("Invalid --n 0: expected at least 1");
  const state = await readCheckpointState(run);
  if (!state) {
    throw new Error(
      `Cannot sample ${run}: it has no checkpoint/ (train it first, or check the path)`,
    );
  }
  await useBackend(backendFlag(values.backend));
  // Importing the plugin modules registers their layers, which the saved generator may use.
  const saved = await Deno.readTextFile(join(run, "config.json")).then(JSON.parse, () => ({}));
  await registryForRun(run, saved.plugins ?? [], values.plugin);
  const generator = await loadGenerator(run);
  const rng = createRng(integerFlag("seed", values.seed) ?? 1);
  const z = tf.tensor2d(
    rng.fill(new Float32Array(n * state.latentDim), state.latentDistribution),
    [n, state.latentDim],
  );
  const out = generator.predict(z) as tf.Tensor;
  const samples = await out.data() as Float32Array;
  tf.dispose([z, out]);
  generator.dispose();
  const path = values.out ?? join(run, "samples", "drawn.png");
  await writeFileAtomic(path, samplesPng(state.dataset, samples, new Float32Array()));
  console.log(`${n} samples from step ${state.step}: ${path}`);
  return 0;
}
