/**
 * Trains gantry's domain classifier (metrics/_classifier.ts, the network behind
 * `classifier-score` and `frechet-distance`) on each dataset's training split and prints its
 * test accuracy and training time. By default it retrains and replaces the cached classifier
 * (`--cache refresh`); `--cache off` leaves the cache alone, `--cache use` reads it if present.
 *
 * Usage: deno run -A bench/classifier_accuracy.ts [--datasets mnist,fashion-mnist]
 *          [--backend wasm|cpu|webgpu] [--cache refresh|off|use] [--epochs N] [--subset N] [--json]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { tf, tfl } from "../deps.ts";
import { type BackendName, useBackend } from "../core/backend/select.ts";
import { builtinRegistry } from "../builtins.ts";
import { createRng } from "../core/contract/rng.ts";
import type { Dataset } from "../core/contract/plugin.ts";
import { loadClassifier, type TrainingOptions } from "../metrics/_classifier.ts";

const { values: flags } = parseArgs({
  options: {
    datasets: { type: "string", default: "mnist,fashion-mnist" },
    backend: { type: "string", default: "wasm" },
    cache: { type: "string", default: "refresh" },
    epochs: { type: "string" },
    subset: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const cache = flags.cache as "use" | "refresh" | "off";
if (!["use", "refresh", "off"].includes(cache)) throw new Error("--cache: use, refresh or off");
const training: TrainingOptions = {};
if (flags.epochs) training.epochs = Number(flags.epochs);
if (flags.subset) training.subset = Number(flags.subset);

const backend = await useBackend(flags.backend as BackendName);
const registry = builtinRegistry();
const rows: string[] = [];
for (const name of flags.datasets!.split(",")) {
  const plugin = registry.get("dataset", name);
  const dataset = await (plugin.create as (context: unknown) => Promise<Dataset>)({
    tf,
    layers: tfl,
    options: plugin.options?.parse({}) ?? {},
    rng: createRng(1),
  });
  try {
    const started = performance.now();
    const classifier = await loadClassifier(dataset, { cache, training });
    const wall = (performance.now() - started) / 1000;
    const { info } = classifier;
    classifier.dispose();
    const accuracy = info.testAccuracy === null
      ? "n/a"
      : `${(info.testAccuracy * 100).toFixed(2)} %`;
    rows.push(
      `| ${name} | ${info.trainExamples.toLocaleString("en-US")} | ` +
        `${info.testExamples.toLocaleString("en-US")} | ${info.training.epochs} | ${accuracy} | ` +
        `${info.seconds.toFixed(0)} s | ${wall.toFixed(0)} s |`,
    );
    if (flags.json) console.log(JSON.stringify({ dataset: name, wallSeconds: wall, ...info }));
  } finally {
    dataset.dispose?.();
  }
}
console.log(`\nDomain classifier on ${backend.name}:\n`);
console.log("| dataset | train | test | epochs | test accuracy | training time | wall time |");
console.log("| ------- | ----- | ---- | ------ | ------------- | ------------- | --------- |");
for (const row of rows) console.log(row);
