/**
 * `deno task sample RUN ...`: draws from a saved run's generator (see `sampleRun`).
 *
 * @module
 */
import { sampleRun } from "../evaluate/sample_run.ts";
import { backendFlag, command, integerFlag, pathFlag } from "./flags.ts";

const HELP = `Usage: deno task sample RUN [--n 64] [--out FILE.png] [--seed N] [--backend B]
                        [--plugin MODULE]...

Draws n samples from RUN's saved generator (RUN/checkpoint/) and writes a PNG: an image grid
for images (a row per class for a conditional run, n rounded up to fill the rows), a scatter
or histogram for points. Default --out: RUN/samples/drawn.png.
  --plugin MODULE    plugin modules (with the generator's custom layers) to load instead of
                     the run's config.plugins, which were named relative to its config file`;

/** `deno task sample RUN ...`; resolves to the exit code. */
export const sampleCommand = command({
  help: HELP,
  flags: { string: ["n", "out", "seed", "backend"], strings: ["plugin"] },
  positionals: { name: "RUN directory" },
  run: async (values, [runDir]) => {
    const n = integerFlag("n", values.n) ?? 64;
    const drawn = await sampleRun(runDir, {
      n,
      seed: integerFlag("seed", values.seed),
      out: pathFlag("out", values.out),
      backend: backendFlag(values.backend ?? "auto"),
      plugins: values.plugin.length ? values.plugin : undefined,
    });
    console.log(`${drawn.n} samples from step ${drawn.step}: ${drawn.path}`);
    return 0;
  },
});
