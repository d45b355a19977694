/**
 * The HTML report of an ablation grid: one self-contained file (no scripts, fonts, stylesheets or
 * images from anywhere else) with the summary table and, per cell, its final sample and charts of
 * its metrics. Charts are vega-lite specs rendered here to inline SVG, so the report opens
 * offline and nothing runs in the reader's browser.
 *
 * @module
 */
// vega's SVG rendering needs no canvas package: without one it estimates text widths.
import { vega, vegaLite as vl } from "../../deps.ts";
import { STEP_STATS } from "../store/run_records.ts";

/** One seed's run in a cell. */
export interface ReportSeedRun {
  seed: number;
  /** result.json's status: "ok", "diverged" or "failed". */
  status: string;
  /** The lines of the run's metrics.jsonl: `step`, `dLoss`, `gLoss`, `dReal`, `dFake`, metrics. */
  rows: Array<Record<string, number>>;
}

/** One combination of the grid's axis values, pooled over seeds. */
export interface ReportCell {
  /** Names the combination, e.g. "loss=minimax, lr=0.001". */
  label: string;
  runs: ReportSeedRun[];
  /** The final sample image (PNG bytes) of one seed; none when no run wrote one. */
  samplePng?: Uint8Array;
}

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  /** The summary table, already formatted as text. */
  summary: { columns: string[]; rows: string[][] };
  cells: ReportCell[];
}

/** The charts every cell gets, in this order; each remaining numeric column gets its own. */
const FIXED_CHARTS: ReadonlyArray<{ name: string; title: string; fields: string[] }> = [
  { name: "losses", title: "losses", fields: ["dLoss", "gLoss"] },
  { name: "discriminator", title: "D(x) and D(G(z))", fields: ["dReal", "dFake"] },
];
const NOT_METRICS: ReadonlySet<string> = new Set(STEP_STATS);

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
.panels { display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: flex-start; }
img.sample { max-width: 320px; height: auto; border: 1px solid #ccc; }
img.pixelated { image-rendering: pixelated; }
.chart svg { display: block; }
`;

/** Renders the report as one HTML document. */
export async function renderReport(input: ReportInput): Promise<string> {
  const cells: string[] = [];
  for (const cell of input.cells) cells.push(await renderCell(cell));
  const { columns, rows } = input.summary;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${row.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`
  );
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

/** A cell's section: heading, each seed's status, the sample and the charts. */
async function renderCell(cell: ReportCell): Promise<string> {
  const runs = cell.runs.map(({ seed, status, rows }) => {
    const note = rows.length === 0 ? ", no metrics" : "";
    const text = `seed ${seed}: ${escapeHtml(status)}${note}`;
    return status === "ok" ? text : `<span class="bad">${text}</span>`;
  });
  const panels: string[] = [];
  if (cell.samplePng) panels.push(sampleImage(cell.samplePng, cell.label));
  const rows = cell.runs.flatMap((run) => run.rows);
  if (rows.length === 0) {
    panels.push(`<p class="no-metrics">no metrics</p>`);
  } else {
    const present = new Set(rows.flatMap((row) => Object.keys(row)));
    const metrics = [...present].filter((key) => !NOT_METRICS.has(key));
    const charts = [
      ...FIXED_CHARTS.map((c) => ({ ...c, fields: c.fields.filter((f) => present.has(f)) })),
      ...metrics.map((m) => ({ name: m, title: m, fields: [m] })),
    ].filter((c) => c.fields.length > 0);
    for (const { name, title, fields } of charts) {
      const svg = await chartSvg(chartSpec(title, fields, points(cell.runs, fields)));
      panels.push(`<div class="chart" data-chart="${escapeHtml(name)}">${svg}</div>`);
    }
  }
  return `<section class="cell">
<h2>${escapeHtml(cell.label)}</h2>
<p class="runs">${runs.join(" · ")}</p>
<div class="panels">
${panels.join("\n")}
</div>
</section>`;
}

/** One value of a chart's line: `series` names the column it was read from. */
interface Point {
  step: number;
  seed: number;
  series: string;
  value: number;
}

/**
 * The columns `fields` of every seed's rows as points. Metric names become data values here, not
 * vega field names, in which dots, brackets and quotes would be read as access paths.
 */
function points(runs: ReportSeedRun[], fields: string[]): Point[] {
  const out: Point[] = [];
  for (const { seed, rows } of runs) {
    for (const row of rows) {
      for (const series of fields) {
        if (series in row) out.push({ step: row.step, seed, series, value: row[series] });
      }
    }
  }
  return out;
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
 * one dash pattern per field (the first solid). Every chart of the report comes from here.
 */
function chartSpec(
  title: string,
  fields: string[],
  values: Point[],
): vl.TopLevelSpec {
  const several = fields.length > 1;
  return {
    title,
    width: 260,
    height: 150,
    data: { values },
    // Dots mark the evaluations while they are few enough to tell apart.
    mark: { type: "line", point: new Set(values.map((row) => row.step)).size <= 12 },
    encoding: {
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
    },
  };
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
 * The sample as a data: URI image. Small images (a grid of a few tiny tiles) are scaled up by a
 * whole factor and drawn pixelated, so every generated pixel stays a crisp square; large ones
 * (512-pixel scatter plots) are only shrunk, smoothly, so that single-pixel dots don't vanish.
 */
function sampleImage(png: Uint8Array, label: string): string {
  // The IHDR chunk always comes first: its width is the big-endian u32 at byte 16.
  const width = png.length >= 24 ? new DataView(png.buffer, png.byteOffset).getUint32(16) : 0;
  const factor = width > 0 && width < 160 ? Math.ceil(160 / width) : 1;
  const size = factor > 1 ? `class="sample pixelated" width="${width * factor}"` : `class="sample"`;
  const alt = escapeHtml(`final sample of ${label}`);
  return `<img ${size} alt="${alt}" src="data:image/png;base64,${png.toBase64()}">`;
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
