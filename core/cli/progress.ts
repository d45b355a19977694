/**
 * What the commands show while they work: a run's progress line, and durations.
 *
 * @module
 */
import type { Progress } from "../train/loop.ts";

/**
 * Writes to stderr: `status` lines replace each other on a terminal (a new line each
 * elsewhere, so logs keep them), `line` adds a line of its own.
 */
export function stderrWriter() {
  const interactive = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  return {
    interactive,
    status: (text: string) => write(interactive ? `\r\x1b[2K${text}` : `${text}\n`),
    line: (text: string) => write(`${interactive ? "\r\x1b[2K" : ""}${text}\n`),
  };
}

/** A run's progress as one line: step, losses, D's outputs, speed and ETA. */
export function formatProgress(p: Progress): string {
  const eta = formatDuration(p.etaSeconds);
  const width = String(p.steps).length;
  return `step ${String(p.step).padStart(width)}/${p.steps}  dLoss ${p.dLoss.toFixed(4)}  ` +
    `gLoss ${p.gLoss.toFixed(4)}  D(x) ${p.dReal.toFixed(3)}  D(G(z)) ${p.dFake.toFixed(3)}  ` +
    `${p.stepsPerSecond.toFixed(1)} steps/s  ETA ${eta}`;
}

/**
 * m:ss, or "?" while unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert.equal(formatDuration(119.7), "2:00");
 * assert.equal(formatDuration(Infinity), "?");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** Numbers as `key=value` pairs, four decimals at most. */
export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => `${k}=${+v.toFixed(4)}`).join(" ");
}

/**
 * A grid's ETA from the steps still to train: in every unfinished cell, its steps past the last
 * one logged, over the steps trained per second across the running cells since the first was
 * logged (a cell's first logged steps are left out of that rate, as they may have resumed from a
 * checkpoint). So it falls as steps are done, rather than waiting for whole cells.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gridEta } from "./progress.ts";
 *
 * let now = 0;
 * const eta = gridEta([{ label: "a", steps: 100 }, { label: "b", steps: 100 }], () => now);
 * eta.logged("a", 10);
 * assert.equal(eta.seconds(), Infinity);
 * now = 1000;
 * eta.logged("a", 30); // 20 steps in 1 s; 70 + 100 steps to go
 * assert.equal(eta.seconds(), 8.5);
 * eta.finished("a");
 * assert.equal(eta.seconds(), 5);
 * ```
 */
export function gridEta(
  cells: { label: string; steps: number }[],
  clock: () => number = () => performance.now(),
) {
  const steps = new Map(cells.map((cell) => [cell.label, cell.steps]));
  const logged = new Map<string, number>();
  let trained = 0;
  let since: number | undefined;
  return {
    /** A cell logged `step`. */
    logged(label: string, step: number) {
      const last = logged.get(label);
      if (last !== undefined) trained += step - last;
      logged.set(label, step);
      since ??= clock();
    },
    /** A cell finished (or stopped early). */
    finished(label: string) {
      steps.delete(label);
    },
    /** The seconds left, Infinity until a rate is known. */
    seconds(): number {
      const rate = since === undefined ? 0 : trained / ((clock() - since) / 1000);
      let left = 0;
      for (const [label, total] of steps) left += total - (logged.get(label) ?? 0);
      return rate > 0 ? left / rate : Infinity;
    },
  };
}
