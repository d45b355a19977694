/**
 * Times one training step of the GANs of `bench/torch_reference.py` through gantry's real
 * engine (`train`), and, when Debian's PyTorch is importable, that reference in windows that
 * alternate with gantry's (`torch_reference.ts`), and prints the ratio: the median, min and max
 * over the pairs of a gantry window and the reference's window right after it. The point is the
 * per-step overhead of gantry + tfjs against a plain PyTorch loop doing the same arithmetic:
 * batch 64 (`--batch`, both sides), one D update then one non-saturating G update,
 * Adam(2e-4, 0.5) (ring: 1e-3), for four models:
 *   ring   the demo's ring cell: G 16-128-128-2, D 2-128-128-1, LeakyReLU 0.2, on ring-8;
 *   ring-mbd  the same with the demo's minibatch discrimination (8 kernels of 3 dims) in D;
 *   mlp    G 100-256-512-784 (tanh), D 784-512-256-1, LeakyReLU 0.2;
 *   dcgan  G dense 7·7·128 (BN, ReLU) → convT 64 5x5 s2 (BN, ReLU) → convT 1 5x5 s2 → tanh;
 *          D conv 64 5x5 s2 (LeakyReLU 0.2) → conv 128 5x5 s2 (BN, LeakyReLU 0.2) → dense 1.
 * The reference runs with as many threads as wasm (`--threads`, default 1): a like-for-like
 * ratio on the same cores.
 * PyTorch's number depends on the BLAS it loads: Debian's netlib libblas is far slower than
 * OpenBLAS (`/etc/alternatives/libblas.so.3-*`), so check that before trusting the ratio.
 *
 * Usage: deno task bench [--model ring|ring-mbd|mlp|dcgan|all] [--backend wasm|cpu|webgpu] [--threads N]
 *                        [--batch 64] [--steps N] [--windows N] [--profile] [--json]
 * Defaults per model: ring 7 windows of 100 steps, ring-mbd 7 of 50, mlp 7 of 20, dcgan 5 of 5 (each after one
 * warm-up window); --steps/--windows override them. --profile adds one more window, untimed,
 * whose kernels are counted and timed (`kernel_profile.ts`) and printed per step. --json adds
 * one JSON line per model (msPerStep the windows' median, minMs and maxMs the fastest and
 * slowest window's; when PyTorch ran, torchMsPerStep its windows' median and ratio, ratioMin and
 * ratioMax over the window pairs).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { builtinRegistry } from "../builtins.ts";
import { tf } from "../deps.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";
import { formatProfile, profileKernels } from "./kernel_profile.ts";
import { startTorchReference } from "./torch_reference.ts";

const USAGE = "Usage: deno task bench [--model ring|ring-mbd|mlp|dcgan|all] " +
  "[--backend wasm|cpu|webgpu] [--threads N] [--batch 64] [--steps N] [--windows N] " +
  "[--profile] [--json]";
/** Ends the bench on bad flags: the message and the usage, exit code 1, no stack. */
function refuse(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  Deno.exit(1);
}

const { values: flags } = (() => {
  try {
    return parseArgs({
      // The GPU check's binary (bench/gpu/entry.ts) is called as `gantry bench ...`.
      args: Deno.args[0] === "bench" ? Deno.args.slice(1) : Deno.args,
      options: {
        model: { type: "string", default: "all" },
        backend: { type: "string", default: "wasm" },
        steps: { type: "string" },
        windows: { type: "string" },
        threads: { type: "string", default: "1" },
        batch: { type: "string", default: "64" },
        profile: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
})();
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const backend = flags.backend!;
if (!["wasm", "cpu", "webgpu"].includes(backend)) refuse(`--backend: wasm, cpu or webgpu`);
const threads = Number(flags.threads);
if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
  refuse("--threads: an integer from 1 to 8");
}
const BATCH = Number(flags.batch);
if (!(Number.isInteger(BATCH) && BATCH >= 1)) refuse("--batch: a positive integer");

/** What differs between the benchmarked models; everything else in the config is shared. */
interface Model {
  dataset: string;
  lr: number;
  architecture: { name: string; options: Record<string, unknown> };
  addons: (string | { name: string; options: Record<string, unknown> })[];
  steps: number;
  windows: number;
  /** Timed steps of the PyTorch reference, spread over the windows (after its own warm-up). */
  torchSteps: number;
}
const MODELS: Record<string, Model> = {
  ring: {
    dataset: "ring-8",
    lr: 1e-3,
    architecture: { name: "mlp", options: { hidden: [128, 128], latentDim: 16 } },
    addons: [],
    steps: 100,
    windows: 7,
    torchSteps: 1000,
  },
  "ring-mbd": {
    dataset: "ring-8",
    lr: 1e-3,
    architecture: { name: "mlp", options: { hidden: [128, 128], latentDim: 16 } },
    addons: [{ name: "minibatch-discrimination", options: { kernels: 8, dims: 3 } }],
    steps: 50,
    windows: 7,
    torchSteps: 500,
  },
  mlp: {
    dataset: "mnist",
    lr: 2e-4,
    architecture: {
      name: "mlp",
      options: {
        generatorHidden: [256, 512],
        discriminatorHidden: [512, 256],
        activation: "leaky-relu",
        leak: 0.2,
        latentDim: 100,
      },
    },
    addons: [],
    steps: 20,
    windows: 7,
    torchSteps: 200,
  },
  dcgan: {
    dataset: "mnist",
    lr: 2e-4,
    architecture: {
      name: "dcgan",
      options: { baseWidth: 64, depth: 2, kernelSize: 5, latentDim: 100, leak: 0.2 },
    },
    // BN before D's second activation (the add-on skips the first layer), as in the reference.
    addons: ["batch-norm"],
    steps: 5,
    windows: 5,
    torchSteps: 20,
  },
};
const names = flags.model === "all" ? Object.keys(MODELS) : [flags.model!];
if (!names.every((name) => name in MODELS)) {
  refuse("--model: ring, ring-mbd, mlp, dcgan or all");
}
const override = (flag: string | undefined, fallback: number) => {
  const n = flag === undefined ? fallback : Number(flag);
  if (!(Number.isInteger(n) && n >= 1)) refuse("--steps and --windows: positive integers");
  return n;
};

const f = (ms: number) => ms.toFixed(2);

/** Benchmarks one model through gantry, its PyTorch reference between the windows; prints it. */
async function bench(name: string, model: Model): Promise<void> {
  const STEPS = override(flags.steps, model.steps);
  const WINDOWS = override(flags.windows, model.windows);
  // The first window is warm-up (kernel set-up, shader compilation, allocator growth); dropped.
  // With --profile, one more window after the timed ones is recorded kernel by kernel.
  const TOTAL = (WINDOWS + 1 + (flags.profile ? 1 : 0)) * STEPS;
  const config: ExperimentInput = {
    // Real digits rather than the reference's fixed noise: gathering a 64-row batch from a
    // resident tensor costs about the same as reusing one, and only the step's cost matters here.
    dataset: model.dataset,
    architecture: model.architecture,
    discriminator: { addons: model.addons },
    loss: "non-saturating",
    train: {
      steps: TOTAL,
      batchSize: BATCH,
      dSteps: 1,
      // The engine reads losses back (a backend sync) only at logging steps, and calls
      // onProgress after that read. Logging once per window and timing between onProgress calls
      // therefore measures finished work on every backend, WebGPU's asynchronous queue included;
      // on wasm and cpu the kernels run synchronously anyway. The cost is one 4-scalar read per
      // window.
      logEvery: STEPS,
      // Checkpoints (free without an outDir) would report progress between the windows' marks.
      checkpointEvery: TOTAL,
      optimizer: { name: "adam", lr: model.lr, beta1: 0.5 },
    },
    // The engine still evaluates at the last step; with no metrics and no outDir that is free.
    evaluate: { every: TOTAL + 1, metrics: [] },
    backend: { name: backend as "wasm", threads },
    seed: 1,
  };

  // The reference's windows alternate with gantry's: one after each of gantry's windows (the
  // first, after the warm-up, is the reference's warm-up too), none after the profiled one.
  const torch = await startTorchReference({ model: name, batch: BATCH, threads });
  const torchSteps = Math.max(1, Math.round(model.torchSteps / WINDOWS));
  const gantryMs: number[] = [], torchMs: number[] = [];
  let profiler: ReturnType<typeof profileKernels> | undefined;
  let windowStart = performance.now();
  const training = train(config, {
    registry: builtinRegistry(),
    onProgress: async () => {
      gantryMs.push(performance.now() - windowStart);
      if (typeof torch !== "string" && gantryMs.length <= WINDOWS + 1) {
        torchMs.push(await torch.window(torchSteps));
      }
      if (flags.profile && gantryMs.length === WINDOWS + 1) {
        profiler = profileKernels(tf.getBackend());
        profiler.start();
      }
      windowStart = performance.now();
    },
  });
  // The reference ends however training ends.
  const result = await training.finally(() => typeof torch !== "string" && torch.close());
  const kernels = profiler?.stop();
  profiler?.restore();
  const profiledMs = flags.profile ? gantryMs.pop()! : 0;
  if (result.status !== "ok" || gantryMs.length !== WINDOWS + 1) {
    throw new Error(
      `${name}: training ${result.status} after ${result.steps} steps: ${result.error ?? ""}`,
    );
  }
  const timed = gantryMs.slice(1).map((ms) => ms / STEPS);
  const windows = [...timed].sort((a, b) => a - b);
  const median = middle(windows);
  const lines = [
    `gantry ${name} step (${result.backend}${
      result.threads ? `, ${result.threads} thread(s)` : ""
    }, ` +
    `batch ${BATCH}): ${f(median)} ms median ` +
    `(min ${f(windows[0])}, max ${f(windows.at(-1)!)}; ${WINDOWS} windows of ${STEPS} steps ` +
    `after ${STEPS} warm-up) = ${(1000 / median).toFixed(median < 100 ? 0 : 2)} steps/s`,
  ];
  if (kernels) lines.push(formatProfile(kernels, STEPS, profiledMs));
  const summary: Record<string, unknown> = {
    model: name,
    backend: result.backend,
    threads: result.threads ?? null,
    msPerStep: Number(median.toFixed(3)),
    minMs: Number(windows[0].toFixed(3)),
    maxMs: Number(windows.at(-1)!.toFixed(3)),
    stepsPerSecond: Number((1000 / median).toFixed(2)),
    steps: STEPS,
    windows: WINDOWS,
  };
  if (typeof torch !== "string") {
    const torchWindows = torchMs.slice(1);
    const torchMedian = middle([...torchWindows].sort((a, b) => a - b));
    // Each gantry window against the reference's window right after it.
    const ratios = timed.map((ms, i) => ms / torchWindows[i]).sort((a, b) => a - b);
    const ratio = middle(ratios);
    Object.assign(summary, {
      torchMsPerStep: Number(torchMedian.toFixed(3)),
      ratio: Number(ratio.toFixed(2)),
      ratioMin: Number(ratios[0].toFixed(2)),
      ratioMax: Number(ratios.at(-1)!.toFixed(2)),
    });
    lines.push(
      `  pytorch ${name} reference (${threads} thread(s), ${WINDOWS} windows of ${torchSteps} ` +
        `steps, each after one of gantry's): ${f(torchMedian)} ms median`,
      `  ratio gantry/pytorch: ${ratio.toFixed(2)}x median of the window pairs ` +
        `(min ${ratios[0].toFixed(2)}, max ${ratios.at(-1)!.toFixed(2)})`,
    );
  } else {
    lines.push(`  pytorch ${name} reference skipped: ${torch}`);
  }
  console.log(lines.join("\n"));
  if (flags.json) console.log(JSON.stringify(summary));
}

/** The median of sorted numbers. */
function middle(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

for (const name of names) await bench(name, MODELS[name]);
console.log(
  "(data: embedded MNIST digits; the reference uses fixed random data, same cost per step)",
);
