/**
 * Times one training step of the GANs of `bench/torch_reference.py` through gantry's real
 * engine (`train`), and, when Debian's PyTorch is importable, runs that reference with one thread
 * and prints the ratio. The point is the per-step overhead of gantry + tfjs against a plain
 * PyTorch loop doing the same arithmetic: batch 64, one D update then one non-saturating G
 * update, Adam(2e-4, 0.5) (ring: 1e-3), for three models:
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
 * slowest window's, torchMsPerStep and ratio when PyTorch ran).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { builtinRegistry } from "../builtins.ts";
import { tf } from "../deps.ts";
import type { ExperimentInput } from "../core/config/schema.ts";
import { train } from "../core/train/train.ts";
import { formatProfile, profileKernels } from "./kernel_profile.ts";

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
  /** Timed steps of the PyTorch reference (after its own 5 warm-up steps). */
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

/** Benchmarks one model through gantry, then its PyTorch reference; prints the results. */
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

  const marks: number[] = [];
  let profiler: ReturnType<typeof profileKernels> | undefined;
  const result = await train(config, {
    registry: builtinRegistry(),
    onProgress: () => {
      marks.push(performance.now());
      if (flags.profile && marks.length === WINDOWS + 1) {
        profiler = profileKernels(tf.getBackend());
        profiler.start();
      }
    },
  });
  const kernels = profiler?.stop();
  profiler?.restore();
  const profiledEnd = flags.profile ? marks.pop()! : 0;
  if (result.status !== "ok" || marks.length !== WINDOWS + 1) {
    throw new Error(
      `${name}: training ${result.status} after ${result.steps} steps: ${result.error ?? ""}`,
    );
  }
  const windows = marks.slice(1).map((t, i) => (t - marks[i]) / STEPS).sort((a, b) => a - b);
  const mid = windows.length >> 1;
  const median = windows.length % 2 ? windows[mid] : (windows[mid - 1] + windows[mid]) / 2;
  const lines = [
    `gantry ${name} step (${result.backend}${
      result.threads ? `, ${result.threads} thread(s)` : ""
    }, ` +
    `batch ${BATCH}): ${f(median)} ms median ` +
    `(min ${f(windows[0])}, max ${f(windows.at(-1)!)}; ${WINDOWS} windows of ${STEPS} steps ` +
    `after ${STEPS} warm-up) = ${(1000 / median).toFixed(median < 100 ? 0 : 2)} steps/s`,
  ];
  if (kernels) {
    lines.push(formatProfile(kernels, STEPS, profiledEnd - marks.at(-1)!));
  }
  // Runs after gantry has finished, so the two never compete for the CPU.
  const torch = await torchReference(name, model.torchSteps, threads);
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
  if (typeof torch === "number") {
    summary.torchMsPerStep = torch;
    summary.ratio = Number((median / torch).toFixed(2));
    lines.push(
      `  pytorch ${name} reference (${threads} thread(s), ${model.torchSteps} steps): ${
        f(torch)
      } ms`,
    );
    lines.push(`  ratio gantry/pytorch: ${(median / torch).toFixed(1)}x`);
  } else {
    lines.push(`  pytorch ${name} reference skipped: ${torch}`);
  }
  console.log(lines.join("\n"));
  if (flags.json) console.log(JSON.stringify(summary));
}

/** The reference's ms/step, or the reason it was skipped. */
async function torchReference(
  model: string,
  steps: number,
  threads: number,
): Promise<number | string> {
  // A compiled binary's own files are not on disk for python: the GPU check names the script.
  const script = new URL(
    Deno.env.get("GANTRY_TORCH_REFERENCE") ?? "./torch_reference.py",
    import.meta.url,
  );
  try {
    await Deno.stat(script);
  } catch {
    return `${script.pathname} is missing`;
  }
  const python = "/usr/bin/python3";
  const run = (args: string[]) =>
    new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  try {
    if (!(await run(["-c", "import torch"])).success) return `${python} cannot import torch`;
  } catch (error) {
    return `cannot run ${python}: ${error instanceof Error ? error.message : error}`;
  }
  const args = [
    script.pathname,
    "--model",
    model,
    "--threads",
    String(threads),
    "--steps",
    String(steps),
  ];
  const out = await run(args);
  const text = new TextDecoder().decode(out.success ? out.stdout : out.stderr).trim();
  if (!out.success) return `the reference failed: ${text.split("\n").at(-1)}`;
  return JSON.parse(text.split("\n").at(-1)!).msPerStep;
}

for (const name of names) await bench(name, MODELS[name]);
console.log(
  "(data: embedded MNIST digits; the reference uses fixed random data, same cost per step)",
);
