/**
 * Where a step's time goes: every kernel of a tfjs backend wrapped so that, while recording, each
 * call is counted and timed. The time outside all kernels (tfjs's engine, tapes, gantry's own
 * JavaScript) is the window's wall time minus the kernels' sum.
 *
 * Kernel times are exact on wasm and cpu, whose kernels run synchronously; on WebGPU they are the
 * time to record and submit the work, not to run it. A kernel that calls other kernels' functions
 * directly (gantry's wasm matmul wrapper calls Transpose) counts as one.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** One kernel's calls and time in a recorded window. */
export interface KernelStats {
  name: string;
  calls: number;
  ms: number;
}

/** A backend's kernels, wrapped for counting until `restore`. */
export interface KernelProfiler {
  /** Starts (or restarts) recording. */
  start(): void;
  /** Stops recording; returns each called kernel's totals, by time, longest first. */
  stop(): KernelStats[];
  /** Puts the backend's own kernel functions back. */
  restore(): void;
}

/** Wraps every kernel registered for `backendName`; nothing is recorded before `start`. */
export function profileKernels(backendName: string): KernelProfiler {
  const totals = new Map<string, { calls: number; ms: number }>();
  let recording = false;
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const { kernelName, kernelFunc } = config;
    const entry = { calls: 0, ms: 0 };
    totals.set(kernelName, entry);
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (!recording) return kernelFunc(args);
        const start = performance.now();
        try {
          return kernelFunc(args);
        } finally {
          entry.ms += performance.now() - start;
          entry.calls++;
        }
      },
    });
  }
  return {
    start() {
      for (const entry of totals.values()) Object.assign(entry, { calls: 0, ms: 0 });
      recording = true;
    },
    stop() {
      recording = false;
      return [...totals].filter(([, e]) => e.calls > 0).map(([name, e]) => ({ name, ...e }))
        .sort((a, b) => b.ms - a.ms || b.calls - a.calls);
    },
    restore() {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
    },
  };
}

/**
 * The profile of `steps` steps as a table per step: kernels by total time and by count (`top`
 * of each), how many kernels a step runs, and the time outside kernels.
 */
export function formatProfile(
  stats: KernelStats[],
  steps: number,
  wallMs: number,
  top = 12,
): string {
  const calls = stats.reduce((sum, s) => sum + s.calls, 0) / steps;
  const kernelMs = stats.reduce((sum, s) => sum + s.ms, 0) / steps;
  const stepMs = wallMs / steps;
  const pct = (ms: number) => `${(100 * ms / stepMs).toFixed(1)}%`;
  const row = (s: KernelStats) =>
    `    ${s.name.padEnd(28)} ${(s.calls / steps).toFixed(1).padStart(7)} calls ` +
    `${(s.ms / steps).toFixed(3).padStart(9)} ms ${pct(s.ms / steps).padStart(6)}`;
  const byCount = [...stats].sort((a, b) => b.calls - a.calls || b.ms - a.ms);
  return [
    `  profile of one step (mean of ${steps}): ${stepMs.toFixed(2)} ms, ${calls.toFixed(0)} ` +
    `kernels of ${stats.length} kinds, ${kernelMs.toFixed(2)} ms in kernels, ` +
    `${(stepMs - kernelMs).toFixed(2)} ms (${pct(stepMs - kernelMs)}) outside them`,
    `  by time:`,
    ...stats.slice(0, top).map(row),
    `  by count:`,
    ...byCount.slice(0, top).map(row),
  ].join("\n");
}
