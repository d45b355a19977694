/**
 * The HTML report of an ablation grid: one self-contained file (no scripts, fonts, stylesheets or
 * images from anywhere else) with the summary chart (each metric's mean ± std per combination),
 * the summary table and, per combination, its seeds' curves over every logged step, its metrics
 * over evaluations and a strip of its samples at every evaluation. Charts are vega-lite specs
 * rendered here to inline SVG, so the report opens offline and nothing runs in the reader's
 * browser.
 *
 * @module
 */
// vega's SVG rendering needs no canvas package: without one it estimates text widths.
import { vega, vegaLite as vl } from "../../deps.ts";
import { STEP_STATS } from "../store/run_records.ts";
import type { SummaryChart } from "./summary.ts";

/** One seed's run in a combination, finished or not. */
export interface ReportSeedRun {
  seed: number;
  /** result.json's status ("ok", "diverged", "failed"), else "unfinished" or "pending". */
  status: string;
  /** Its train.jsonl: `step`, `dLoss`, `gLoss`, `dReal`, `dFake`, `lr` at every logged step. */
  train: Array<Record<string, number>>;
  /** Its metrics.jsonl: the step's stats and every metric, at every evaluation. */
  metrics: Array<Record<string, number>>;
  /** The picture of samples drawn at every evaluation (PNG bytes), in step order. */
  samples: { step: number; png: Uint8Array }[];
}

/** One combination of the grid's axis values, its seeds side by side. */
export interface ReportCell {
  /** Names the combination, e.g. "loss=minimax, lr=0.001". */
  label: string;
  runs: ReportSeedRun[];
}

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  /** The summary table, already formatted as text. */
  summary: { columns: string[]; rows: string[][] };
  chart: SummaryChart;
  cells: ReportCell[];
  /** While the grid runs: how many of its cells have finished. */
  progress?: { finished: number; total: number };
  /** Curves are also drawn as a trailing moving average over this many logged steps. */
  smoothing?: number;
}

/** The curves every combination gets from train.jsonl, in this order. */
const CURVES: ReadonlyArray<{ name: string; title: string; fields: string[] }> = [
  { name: "losses", title: "losses", fields: ["dLoss", "gLoss"] },
  { name: "discriminator", title: "D(x) and D(G(z))", fields: ["dReal", "dFake"] },
];
const NOT_METRICS: ReadonlySet<string> = new Set(STEP_STATS);
/** Longer curves are averaged down to this many points a line, so the SVG stays small. */
const MOST_POINTS = 400;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f0f0f0; }
td { font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
section.cell { border-top: 2px solid #ddd; padding-top: 0.5em; margin-bottom: 1.5em; }
section.cell h2 { font-size: 1.1em; margin: 0 0 0.2em; }
.runs { color: #555; margin: 0 0 0.5em; }
.bad { color: #b00; }
.unfinished { color: #a60; }
.panels, #summary-chart { display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: flex-start; }
table.strip { margin: 0.5em 0 0; }
table.strip, table.strip th, table.strip td { border: none; padding: 0.1em 0.2em; }
table.strip th { background: none; font-weight: normal; color: #555; }
table.strip tr { background: none !important; }
img.sample { height: auto; border: 1px solid #ccc; display: block; }
img.pixelated { image-rendering: pixelated; }
.chart svg { display: block; }
`;

/** Renders the report as one HTML document. */
export async function renderReport(input: ReportInput): Promise<string> {
  const cells: string[] = [];
  for (const cell of input.cells) cells.push(await renderCell(cell, input.smoothing ?? 1));
  const { columns, rows } = input.summary;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${row.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`
  );
  const { progress } = input;
  const running = progress && progress.finished < progress.total
    ? `<p class="unfinished" id="progress">${progress.finished} of ${progress.total} cells ` +
      "finished: this report is rewritten as each cell finishes</p>\n"
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${running}<div id="summary-chart">
${(await summaryCharts(input.chart)).join("\n")}
</div>
<table id="summary">
<thead><tr>${head}</tr></thead>
<tbody>
${body.join("\n")}
</tbody>
</table>
${cells.join("\n")}
</body>
</html>
`;
}

/** A combination's section: heading, each seed's status, its charts and its sample strip. */
async function renderCell(cell: ReportCell, smoothing: number): Promise<string> {
  const runs = cell.runs.map(({ seed, status, train }) => {
    if (status === "unfinished" || status === "pending") {
      const logged = train.at(-1)?.step;
      const text = logged ? `unfinished, step ${logged} logged` : status;
      return `<span class="unfinished">seed ${seed}: ${text}</span>`;
    }
    const text = `seed ${seed}: ${escapeHtml(status)}`;
    return status === "ok" ? text : `<span class="bad">${text}</span>`;
  });
  const charts: string[] = [];
  for (const chart of cellCharts(cell.runs, smoothing)) {
    const svg = await chartSvg(chart.spec);
    charts.push(`<div class="chart" data-chart="${escapeHtml(chart.name)}">${svg}</div>`);
  }
  const panels = charts.length ? charts.join("\n") : `<p class="no-metrics">no metrics</p>`;
  return `<section class="cell">
<h2>${escapeHtml(cell.label)}</h2>
<p class="runs">${runs.join(" · ")}</p>
<div class="panels">
${panels}
</div>
${sampleStrip(cell)}
</section>`;
}

/**
 * A combination's charts: the curves of train.jsonl (of metrics.jsonl for runs from before
 * train.jsonl), the learning rate when it changes, then one chart per metric.
 */
function cellCharts(runs: ReportSeedRun[], smoothing: number) {
  const dense = runs.some((run) => run.train.length > 0);
  const curveRows = (run: ReportSeedRun) => dense ? run.train : run.metrics;
  const present = new Set(runs.flatMap((run) => curveRows(run).flatMap(Object.keys)));
  const learningRates = new Set(runs.flatMap((run) => run.train.map((row) => row.lr)));
  const curves = [
    ...CURVES,
    ...(learningRates.size > 1 ? [{ name: "lr", title: "learning rate", fields: ["lr"] }] : []),
  ].map((c) => ({ ...c, fields: c.fields.filter((f) => present.has(f)) }))
    .filter((c) => c.fields.length > 0)
    .map(({ name, title, fields }) => ({
      name,
      spec: chartSpec(title, fields, points(runs, curveRows, fields), smoothing),
    }));
  const metrics = [...new Set(runs.flatMap((run) => run.metrics.flatMap(Object.keys)))]
    .filter((key) => !NOT_METRICS.has(key))
    .map((metric) => ({
      name: metric,
      spec: chartSpec(metric, [metric], points(runs, (run) => run.metrics, [metric]), 1),
    }));
  return [...curves, ...metrics];
}

/** One value of a chart's line: `series` names the column it was read from. */
interface Point {
  step: number;
  seed: number;
  series: string;
  value: number;
}

/**
 * The columns `fields` of every seed's rows as points, each line averaged down to at most
 * {@linkcode MOST_POINTS}. Metric names become data values here, not vega field names, in which
 * dots, brackets and quotes would be read as access paths.
 */
function points(
  runs: ReportSeedRun[],
  rowsOf: (run: ReportSeedRun) => Array<Record<string, number>>,
  fields: string[],
): Point[] {
  return runs.flatMap((run) =>
    fields.flatMap((series) => {
      const line = rowsOf(run).filter((row) => series in row);
      return averagedDown(line.map((row) => ({ step: row.step, value: row[series] })))
        .map(({ step, value }) => ({ step, seed: run.seed, series, value }));
    })
  );
}

/** At most {@linkcode MOST_POINTS} points: consecutive runs of points become their mean. */
function averagedDown(line: { step: number; value: number }[]) {
  const size = Math.ceil(line.length / MOST_POINTS);
  if (size <= 1) return line;
  const out: { step: number; value: number }[] = [];
  for (let i = 0; i < line.length; i += size) {
    const bucket = line.slice(i, i + size);
    const mean = (pick: (p: { step: number; value: number }) => number) =>
      bucket.reduce((sum, p) => sum + pick(p), 0) / bucket.length;
    out.push({ step: Math.round(mean((p) => p.step)), value: mean((p) => p.value) });
  }
  return out;
}

/**
 * Each line's trailing moving average over `window` points, as TensorBoard's smoothing slider
 * shows it: the raw line stays, faint, behind.
 */
function smoothed(values: Point[], window: number): Point[] {
  const lines = Map.groupBy(values, (p) => `${p.seed} ${p.series}`);
  return [...lines.values()].flatMap((line) =>
    line.map((point, i) => {
      const span = line.slice(Math.max(0, i - window + 1), i + 1);
      return { ...point, value: span.reduce((sum, p) => sum + p.value, 0) / span.length };
    })
  );
}

/**
 * Dashes in the legend. With points on the line, vega-lite draws the legend's symbols as filled
 * shapes with a transparent stroke, which would hide the dash patterns. Every property the point
 * layer sets is given, so that its legend and the line's agree and vega-lite merges them quietly.
 */
const DASH_LEGEND = {
  symbolType: "stroke",
  encoding: {
    symbols: {
      fill: { value: "transparent" },
      fillOpacity: { value: 1 },
      opacity: { value: 1 },
      stroke: { value: "#555" },
    },
  },
} as const;

/**
 * A line chart of `fields` over steps, one colour per seed and, when there are several fields,
 * one dash pattern per field (the first solid); with `smoothing` over 1, the moving average
 * over the faint raw lines. Every curve of the report comes from here.
 */
function chartSpec(
  title: string,
  fields: string[],
  values: Point[],
  smoothing: number,
): vl.TopLevelSpec {
  const several = fields.length > 1;
  // Typed loosely: vega-lite's types do not follow a shared encoding into layers.
  const encoding: Record<string, unknown> = {
    x: { field: "step", type: "quantitative", axis: { tickCount: 5 } },
    // Losses and metrics rarely sit near 0; a zero-based axis would flatten them.
    y: {
      field: "value",
      type: "quantitative",
      scale: { zero: false },
      axis: { tickCount: 5, title: several ? null : title },
    },
    color: { field: "seed", type: "nominal" },
    strokeDash: several
      ? {
        field: "series",
        type: "nominal",
        scale: { domain: fields },
        title: null,
        legend: DASH_LEGEND,
      }
      : undefined,
  };
  // Dots mark the evaluations while they are few enough to tell apart.
  const point = new Set(values.map((row) => row.step)).size <= 12;
  if (smoothing <= 1) {
    const mark = { type: "line", point } as const;
    return { title, width: 260, height: 150, data: { values }, mark, encoding } as vl.TopLevelSpec;
  }
  return {
    title: `${title} (moving average of ${smoothing})`,
    width: 260,
    height: 150,
    encoding,
    layer: [
      { data: { values }, mark: { type: "line", opacity: 0.25 } },
      { data: { values: smoothed(values, smoothing) }, mark: { type: "line", point } },
    ],
  } as vl.TopLevelSpec;
}

/**
 * One chart per metric: each combination's mean over its seeds, with a bar of ± one standard
 * deviation; the first axis along x, combinations of the other axes side by side in colours.
 */
async function summaryCharts(chart: SummaryChart): Promise<string[]> {
  const [first, ...rest] = chart.axes;
  const group = rest.length ? rest.join(", ") : undefined;
  const metrics = [...new Set(chart.points.map((p) => p.metric))];
  const out: string[] = [];
  for (const metric of metrics) {
    const values = chart.points
      .filter((p) => p.metric === metric && Number.isFinite(p.mean))
      .map(({ values, mean, std = 0 }) => ({
        x: first ? values[0] : "(base)",
        group: values.slice(1).join(", "),
        mean,
        low: mean - std,
        high: mean + std,
      }));
    if (!values.length) continue;
    const spec: vl.TopLevelSpec = {
      title: `${metric} (mean ± std over seeds)`,
      width: { step: 36 },
      height: 160,
      data: { values },
      encoding: {
        x: {
          field: "x",
          type: "nominal",
          sort: null,
          title: first ?? null,
          axis: { labelAngle: -20, labelLimit: 160 },
        },
        ...(group
          ? {
            xOffset: { field: "group", type: "nominal", sort: null },
            color: {
              field: "group",
              type: "nominal",
              sort: null,
              title: group,
              legend: { labelLimit: 320, orient: "bottom", direction: "vertical" },
            },
          }
          : {}),
      },
      layer: [
        {
          mark: { type: "rule" },
          encoding: {
            y: { field: "low", type: "quantitative", scale: { zero: false }, title: metric },
            y2: { field: "high" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 50 },
          encoding: { y: { field: "mean", type: "quantitative" } },
        },
      ],
    };
    const svg = await chartSvg(spec);
    out.push(`<div class="chart" data-summary-chart="${escapeHtml(metric)}">${svg}</div>`);
  }
  return out;
}

/** Renders a chart to an SVG string without any browser or canvas. */
async function chartSvg(chart: vl.TopLevelSpec): Promise<string> {
  const spec = vl.compile(chart).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The combination's samples over time: a column per evaluation, a row per seed, so a collapse
 * onto few modes, or an oscillation between them, shows as a row changes.
 */
function sampleStrip(cell: ReportCell): string {
  const withSamples = cell.runs.filter((run) => run.samples.length > 0);
  if (!withSamples.length) return "";
  const steps = [...new Set(withSamples.flatMap((run) => run.samples.map((s) => s.step)))]
    .sort((a, b) => a - b);
  const head = steps.map((step) => `<th>step ${step}</th>`).join("");
  const rows = withSamples.map((run) => {
    const byStep = new Map(run.samples.map((s) => [s.step, s.png]));
    const images = steps.map((step) => {
      const png = byStep.get(step);
      const alt = `samples of ${cell.label}, seed ${run.seed}, step ${step}`;
      return `<td>${png ? sampleImage(png, alt) : ""}</td>`;
    });
    return `<tr><th>seed ${run.seed}</th>${images.join("")}</tr>`;
  });
  return `<table class="strip">
<thead><tr><th></th>${head}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

/**
 * The sample as a data: URI image about 160 pixels wide. Small images (a grid of a few tiny
 * tiles) are scaled up by a whole factor and drawn pixelated, so every generated pixel stays a
 * crisp square; large ones (512-pixel scatter plots) are only shrunk, smoothly, so that
 * single-pixel dots don't vanish.
 */
function sampleImage(png: Uint8Array, alt: string): string {
  // The IHDR chunk always comes first: its width is the big-endian u32 at byte 16.
  const width = png.length >= 24 ? new DataView(png.buffer, png.byteOffset).getUint32(16) : 0;
  const factor = width > 0 && width < 160 ? Math.ceil(160 / width) : 1;
  const size = factor > 1
    ? `class="sample pixelated" width="${width * factor}"`
    : `class="sample" width="${Math.min(width, 160) || 160}"`;
  return `<img ${size} alt="${escapeHtml(alt)}" src="data:image/png;base64,${png.toBase64()}">`;
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values alike. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
