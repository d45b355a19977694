/**
 * A grid's results.jsonl: one line per finished cell, appended whole, and the summary that
 * pools seeds into one row per combination of axis values.
 *
 * @module
 */
import type { RunResult } from "./engine.ts";

/** One line of results.jsonl. */
export interface ResultLine {
  cellId: string;
  label: string;
  overrides: Record<string, unknown>;
  seed: number;
  status: RunResult["status"];
  seconds: number;
  backend: string;
  /** The final values of the cell's metrics. */
  metrics: Record<string, number>;
  /** The cell's position in the grid's declared order. */
  index: number;
  error?: string;
}

/**
 * Appends one line with a single O_APPEND write: shards appending to one local file never
 * interleave. A line torn by a crash (no newline at the end of the file) is ended first, in the
 * same write, so the new line stays whole.
 */
export async function appendResult(path: string, line: ResultLine): Promise<void> {
  const file = await Deno.open(path, { read: true, append: true, create: true });
  try {
    const { size } = await file.stat();
    const last = new Uint8Array(1);
    if (size > 0) {
      await file.seek(size - 1, Deno.SeekMode.Start);
      await file.read(last);
    }
    const torn = size > 0 && last[0] !== 0x0a;
    const bytes = new TextEncoder().encode(`${torn ? "\n" : ""}${JSON.stringify(line)}\n`);
    const written = await file.write(bytes);
    if (written !== bytes.length) throw new Error(`Short write to ${path}`);
  } finally {
    file.close();
  }
}

/**
 * The lines of a results.jsonl (none when it does not exist). A line torn by a crash (the start
 * of a result that does not parse) is skipped, so its cell runs again; any other bad line is an
 * error naming the file and line.
 */
export async function readResults(path: string): Promise<ResultLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.flatMap((line, i) => {
    try {
      return [JSON.parse(line) as ResultLine];
    } catch (error) {
      const start = '{"cellId":';
      if (line.startsWith(start) || start.startsWith(line)) return [];
      throw new SyntaxError(`Cannot parse ${path} line ${i + 1}: ${(error as Error).message}`);
    }
  });
}

/** The label without its seed: the summary row a result pools into. */
export function groupOf(label: string): string {
  return label.replace(/(^|,)seed=\d+$/, "");
}

/** One row per combination of axis values, seeds pooled. */
export interface Summary {
  axes: string[];
  metrics: string[];
  rows: {
    group: string;
    values: Record<string, unknown>;
    n: number;
    diverged: number;
    failed: number;
    /** Mean and sample standard deviation (none from a single seed) over the ok seeds. */
    stats: Record<string, { mean: number; std?: number } | undefined>;
  }[];
}

/**
 * Pools results by combination (first seen in declared order), with mean and sample standard
 * deviation of every final metric over the seeds that finished ok.
 */
export function summarize(results: ResultLine[]): Summary {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const axes = [...new Set(sorted.flatMap((r) => Object.keys(r.overrides)))];
  const metrics = [...new Set(sorted.flatMap((r) => Object.keys(r.metrics)))];
  const groups = new Map<string, ResultLine[]>();
  for (const result of sorted) {
    const group = groupOf(result.label);
    groups.set(group, [...(groups.get(group) ?? []), result]);
  }
  const rows = [...groups].map(([group, members]) => {
    const ok = members.filter((r) => r.status === "ok");
    const stats = Object.fromEntries(metrics.map((metric) => {
      const values = ok.map((r) => r.metrics[metric]).filter((v) => typeof v === "number");
      if (!values.length) return [metric, undefined];
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      if (values.length < 2) return [metric, { mean }];
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
      return [metric, { mean, std: Math.sqrt(variance) }];
    }));
    return {
      group,
      values: members[0].overrides,
      n: ok.length,
      diverged: members.filter((r) => r.status === "diverged").length,
      failed: members.filter((r) => r.status === "failed").length,
      stats,
    };
  });
  return { axes, metrics, rows };
}

const format = (value: number) => String(Number(value.toPrecision(4)));

/** A cell's value on an axis; empty where the cell leaves that path at the base config's. */
function axisText(value: unknown): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.length ? value.map(axisText).join("+") : "none";
  if (value && typeof value === "object" && "name" in value) return String(value.name);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The summary as a table of strings: axes, `mean ± std` per metric, n, diverged, failed. */
export function summaryTable(summary: Summary): { columns: string[]; rows: string[][] } {
  return {
    columns: [...summary.axes, ...summary.metrics, "n", "diverged", "failed"],
    rows: summary.rows.map((row) => [
      ...summary.axes.map((axis) => axisText(row.values[axis])),
      ...summary.metrics.map((metric) => {
        const stat = row.stats[metric];
        if (!stat) return "";
        return stat.std === undefined
          ? format(stat.mean)
          : `${format(stat.mean)} ± ${format(stat.std)}`;
      }),
      String(row.n),
      String(row.diverged),
      String(row.failed),
    ]),
  };
}

/** The summary as CSV: axes, then `<metric>_mean` and `<metric>_std` columns, n, diverged, failed. */
export function summaryCsv(summary: Summary): string {
  const quote = (text: string) => /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  const header = [
    ...summary.axes,
    ...summary.metrics.flatMap((m) => [`${m}_mean`, `${m}_std`]),
    "n",
    "diverged",
    "failed",
  ];
  const lines = summary.rows.map((row) => [
    ...summary.axes.map((axis) => axisText(row.values[axis])),
    ...summary.metrics.flatMap((m) => {
      const stat = row.stats[m];
      return stat ? [String(stat.mean), stat.std === undefined ? "" : String(stat.std)] : ["", ""];
    }),
    String(row.n),
    String(row.diverged),
    String(row.failed),
  ]);
  return [header, ...lines].map((line) => line.map(quote).join(",")).join("\n") + "\n";
}

/** The summary as a Markdown table. */
export function summaryMarkdown(summary: Summary): string {
  const { columns, rows } = summaryTable(summary);
  const escape = (text: string) => text.replaceAll("|", "\\|");
  return [
    `| ${columns.map(escape).join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ].join("\n") + "\n";
}
