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
