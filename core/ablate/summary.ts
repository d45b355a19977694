/**
 * The summary of a grid's results: seeds pooled into one row per combination of axis values,
 * as a table of strings, CSV and Markdown.
 *
 * @module
 */
import type { ResultLine } from "./results.ts";

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
