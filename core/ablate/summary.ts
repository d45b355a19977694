/**
 * The summary of a grid's results: seeds pooled into one row per combination of axis values,
 * as a table of strings, CSV and Markdown.
 *
 * @module
 */
import { axisFormats } from "../config/grid.ts";
import { sortedJson } from "../config/hash.ts";
import type { ResultLine } from "./results.ts";

/**
 * The summary row a result pools into: its axis values (the cell's config but for its seed,
 * since every cell of a grid starts from one base), never its label.
 */
export function groupKey(result: Pick<ResultLine, "overrides">): string {
  return sortedJson(result.overrides);
}

/**
 * A cell's label without its seed: the label of its combination of axis values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combinationLabel } from "./summary.ts";
 *
 * assert.equal(combinationLabel("loss=minimax,seed=2"), "loss=minimax");
 * assert.equal(combinationLabel("seed=2"), "");
 * ```
 */
export function combinationLabel(label: string): string {
  return label.replace(/(^|,)seed=\d+$/, "");
}

/** One row per combination of axis values, seeds pooled. */
export interface Summary {
  axes: string[];
  metrics: string[];
  rows: {
    /** {@linkcode groupKey} of the row's results. */
    key: string;
    /** The first result's label without its seed. */
    label: string;
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
    const key = groupKey(result);
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  const rows = [...groups].map(([key, members]) => {
    const ok = members.filter((r) => r.status === "ok");
    const stats = Object.fromEntries(metrics.map((metric) => {
      const values = ok.map((r) => r.metrics[metric]).filter((v) => typeof v === "number");
      if (!values.length) return [metric, undefined];
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      // One seed has no spread; a NaN or infinite seed makes the mean so, shown alone.
      if (values.length < 2 || !Number.isFinite(mean)) return [metric, { mean }];
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
      return [metric, { mean, std: Math.sqrt(variance) }];
    }));
    return {
      key,
      label: combinationLabel(members[0].label),
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

/**
 * How each axis's values read in the table (as in the labels); empty where a row leaves that
 * path at the base config's.
 */
function axisTexts(summary: Summary): (axis: string, value: unknown) => string {
  const formats = axisFormats(summary.rows.map((row) => row.values));
  return (axis, value) => value === undefined ? "" : formats[axis](value);
}

/** The summary as a table of strings: axes, `mean ± std` per metric, n, diverged, failed. */
export function summaryTable(summary: Summary): { columns: string[]; rows: string[][] } {
  const axisText = axisTexts(summary);
  return {
    columns: [...summary.axes, ...summary.metrics, "n", "diverged", "failed"],
    rows: summary.rows.map((row) => [
      ...summary.axes.map((axis) => axisText(axis, row.values[axis])),
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

/** The summary chart's numbers: a point per metric and combination. */
export interface SummaryChart {
  /** The grid's axes, in order: the first is the chart's x-axis, the rest its colours. */
  axes: string[];
  points: {
    /** The combination's value of each axis, as the table writes it. */
    values: string[];
    metric: string;
    mean: number;
    /** Sample standard deviation over the seeds; none from a single seed. */
    std?: number;
  }[];
}

/**
 * The summary chart's points: every metric's mean and std per combination, with its axis values
 * written as the table writes them.
 */
export function summaryChart(summary: Summary): SummaryChart {
  const axisText = axisTexts(summary);
  return {
    axes: summary.axes,
    points: summary.rows.flatMap((row) =>
      summary.metrics.flatMap((metric) => {
        const stat = row.stats[metric];
        if (!stat) return [];
        const values = summary.axes.map((axis) => axisText(axis, row.values[axis]));
        return [{ values, metric, ...stat }];
      })
    ),
  };
}

/** The summary as CSV: axes, then `<metric>_mean` and `<metric>_std` columns, n, diverged, failed. */
export function summaryCsv(summary: Summary): string {
  const axisText = axisTexts(summary);
  const quote = (text: string) => /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  const header = [
    ...summary.axes,
    ...summary.metrics.flatMap((m) => [`${m}_mean`, `${m}_std`]),
    "n",
    "diverged",
    "failed",
  ];
  const lines = summary.rows.map((row) => [
    ...summary.axes.map((axis) => axisText(axis, row.values[axis])),
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
