import assert from "node:assert/strict";
import { encodePng } from "../../deps.ts";
import { renderReport, type ReportInput, type ReportSeedRun } from "./report_html.ts";

/** A 2x2 RGB image: red, green, blue, white. */
const PNG = encodePng({
  width: 2,
  height: 2,
  channels: 3,
  depth: 8,
  data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]),
});

/**
 * One seed: `logged` train.jsonl rows every 10 steps (the learning rate halving at step 500),
 * three evaluations with one metric beyond the step's stats, and a sample at each.
 */
function run(seed: number, logged = 150): ReportSeedRun {
  const train = Array.from({ length: logged }, (_, i) => ({
    step: 10 * (i + 1),
    dLoss: 1.2 - 0.001 * i + 0.01 * seed,
    gLoss: 0.8 + 0.002 * i,
    dReal: 0.6,
    dFake: 0.4,
    lr: i < 50 ? 0.001 : 0.0005,
  }));
  const metrics = [500, 1000, 1500].map((step, i) => ({
    step,
    dLoss: 1.2,
    gLoss: 0.8,
    dReal: 0.6,
    dFake: 0.4,
    modes: 4 + i + seed,
  }));
  const samples = metrics.map(({ step }) => ({ step, png: PNG }));
  return { seed, status: "ok", train, metrics, samples };
}

const INPUT: ReportInput = {
  title: "ring <grid> & co",
  summary: {
    columns: ["loss", "modes"],
    rows: [["<b>minimax</b>", "6.5 ± 0.7071"], ["non-saturating", "7.5 ± 0.7071"]],
  },
  chart: {
    axes: ["loss"],
    points: [
      { values: ["<b>minimax</b>"], metric: "modes", mean: 6.5, std: 0.7071 },
      { values: ["non-saturating"], metric: "modes", mean: 7.5, std: 0.7071 },
    ],
  },
  cells: [
    { label: "loss=<b>minimax</b>", runs: [run(1), run(2)] },
    { label: "loss=non-saturating", runs: [run(1), run(2)] },
  ],
};

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The text of each cell's section, in order. */
const sections = (html: string) => html.split('<section class="cell">').slice(1);

/** The `<svg>` of the chart with `attribute="name"`. */
function chart(html: string, name: string, attribute = "data-chart"): string {
  const start = html.indexOf(`${attribute}="${name}"`);
  assert.ok(start >= 0, `no chart ${name}`);
  return html.slice(start, html.indexOf("</svg>", start));
}

/** How many points each line of a chart's SVG has. */
const linePoints = (svg: string) =>
  [...svg.matchAll(/aria-roledescription="line mark" d="([^"]+)"/g)]
    .map((m) => count(m[1], "L") + 1);

Deno.test("renderReport: summary table with escaped text", async () => {
  const html = await renderReport(INPUT);
  assert.match(html, /^<!doctype html>/);
  assert.ok(html.includes("<title>ring &lt;grid&gt; &amp; co</title>"));
  const table = html.match(/<table id="summary">[\s\S]*?<\/table>/)?.[0];
  assert.ok(table, "no summary table");
  assert.ok(table.includes("<th>modes</th>"));
  assert.ok(table.includes("<td>&lt;b&gt;minimax&lt;/b&gt;</td>"), table);
  assert.ok(!html.includes("<b>"), "unescaped label");
  assert.equal(count(table, "<tr>"), 3);
  assert.ok(!html.includes('id="progress"'), "a finished grid is not marked as running");
});

Deno.test("renderReport: the summary chart, above the table, has each combination's mean ± std", async () => {
  const html = await renderReport(INPUT);
  assert.ok(html.indexOf('id="summary-chart"') < html.indexOf('<table id="summary">'));
  const svg = chart(html, "modes", "data-summary-chart");
  assert.equal(count(svg, 'aria-roledescription="point"'), 2);
  assert.match(svg, /aria-label="loss: non-saturating; mean: 7.5"/);
  // The error bars: a rule from mean - std to mean + std for each combination.
  assert.match(svg, /aria-label="loss: non-saturating; modes: 6\.7929; high: 8\.2071"/);
});

Deno.test("renderReport: dense curves of every seed, learning rate, metrics and a sample strip", async () => {
  const html = await renderReport(INPUT);
  const cells = sections(html);
  assert.equal(cells.length, 2);
  assert.ok(cells[0].includes("<h2>loss=&lt;b&gt;minimax&lt;/b&gt;</h2>"));
  for (const cell of cells) {
    const charts = [...cell.matchAll(/<div class="chart" data-chart="(\w+)"><svg/g)];
    assert.deepEqual(charts.map((m) => m[1]), ["losses", "discriminator", "lr", "modes"]);
    // Two seeds × two series, each at every logged step; the metric at its evaluations.
    assert.deepEqual(linePoints(chart(cell, "losses")), [150, 150, 150, 150]);
    assert.deepEqual(linePoints(chart(cell, "modes")), [3, 3]);
    // The strip: a row per seed, a column per evaluation, the same bytes as written.
    const strip = cell.match(/<table class="strip">[\s\S]*?<\/table>/)?.[0];
    assert.ok(strip, "no sample strip");
    assert.deepEqual(
      [...strip.matchAll(/<th>(step \d+|seed \d+)<\/th>/g)].map((m) => m[1]),
      ["step 500", "step 1000", "step 1500", "seed 1", "seed 2"],
    );
    assert.equal(count(strip, "data:image/png;base64,"), 6);
    const base64 = strip.match(/data:image\/png;base64,([A-Za-z0-9+/=]+)"/)?.[1];
    assert.deepEqual(Uint8Array.fromBase64(base64!), PNG);
    // A 2x2 grid is shown scaled up with crisp pixels.
    assert.match(strip, /<img class="sample pixelated" width="160"/);
  }
});

Deno.test("renderReport: long curves are averaged down; smoothing adds a moving average", async () => {
  const long = await renderReport({ ...INPUT, cells: [{ label: "long", runs: [run(1, 1000)] }] });
  // 1,000 logged steps become 400 means of 2 or 3 steps (the last of 1).
  assert.deepEqual(linePoints(chart(long, "losses")), [334, 334]);
  const smooth = await renderReport({ ...INPUT, smoothing: 5 });
  const losses = chart(sections(smooth)[0], "losses");
  assert.match(losses, /losses \(moving average of 5\)/);
  // Raw and smoothed lines: two seeds × two series, twice.
  assert.deepEqual(linePoints(losses), Array(8).fill(150));
  // A loss that alternates 1, 1.2, 1, 1.2, ...: its moving average of 2 is flat past the first.
  const zigzag = run(1, 20);
  zigzag.train.forEach((row, i) => row.dLoss = i % 2 ? 1.2 : 1);
  const flat = await renderReport({
    ...INPUT,
    cells: [{ label: "zigzag", runs: [zigzag] }],
    smoothing: 2,
  });
  const heights = (svg: string, layer: number) => {
    const group = svg.split(`layer_${layer}_marks`)[1];
    const d = group.match(
      /series: dLoss" role="graphics-symbol" aria-roledescription="line mark" d="([^"]+)"/,
    )![1];
    return [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
  };
  const raw = heights(chart(flat, "losses"), 0);
  const averaged = heights(chart(flat, "losses"), 1);
  assert.equal(new Set(raw).size, 2);
  assert.equal(new Set(averaged.slice(1)).size, 1);
  assert.notEqual(averaged[0], averaged[1]);
});

Deno.test("renderReport: a running grid marks unfinished and pending seeds", async () => {
  const unfinished = { ...run(3, 20), status: "unfinished", metrics: [], samples: [] };
  const pending = { seed: 4, status: "pending", train: [], metrics: [], samples: [] };
  const html = await renderReport({
    ...INPUT,
    cells: [{ label: "lr=1", runs: [unfinished, pending] }],
    progress: { finished: 2, total: 4 },
  });
  assert.match(html, /<p class="unfinished" id="progress">2 of 4 cells finished/);
  const [cell] = sections(html);
  assert.ok(cell.includes('<span class="unfinished">seed 3: unfinished, step 200 logged</span>'));
  assert.ok(cell.includes('<span class="unfinished">seed 4: pending</span>'));
  // The unfinished seed's curves so far; no strip without samples.
  assert.deepEqual(linePoints(chart(cell, "losses")), [20, 20]);
  assert.ok(!cell.includes('class="strip"'));
});

Deno.test("renderReport: nothing is loaded from elsewhere", async () => {
  const html = await renderReport(INPUT);
  // The only URLs allowed are the namespace names vega writes on its <svg> elements.
  const urls = html.replace(/ xmlns(:xlink)?="http:\/\/www\.w3\.org\/[\w/]+"/g, "");
  assert.doesNotMatch(urls, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|<iframe|<object|@import|url\(/i);
});

Deno.test("renderReport: a cell without metrics says so", async () => {
  const failed = (seed: number): ReportSeedRun => ({
    seed,
    status: "failed",
    train: [],
    metrics: [],
    samples: [],
  });
  const html = await renderReport({
    ...INPUT,
    cells: [INPUT.cells[0], { label: "lr=10", runs: [failed(1), failed(2)] }],
  });
  const [ok, bad] = sections(html);
  assert.equal(count(ok, "<svg"), 4);
  assert.ok(bad.includes("no metrics"));
  assert.ok(bad.includes('<span class="bad">seed 2: failed</span>'));
  assert.ok(!bad.includes("<svg") && !bad.includes("<img"));
});

Deno.test("renderReport: metric names are data, not vega field paths", async () => {
  // Dots, brackets and quotes in a field name would be read by vega as nested access.
  const metrics = [1, 2].map((step) => ({ step, "fid.score": step, "p[0]": 1, "a'b": 2 }));
  const html = await renderReport({
    ...INPUT,
    cells: [{
      label: "odd names",
      runs: [{ seed: 1, status: "ok", train: [], metrics, samples: [] }],
    }],
  });
  const charts = [...html.matchAll(/data-chart="([^"]+)"><svg/g)].map((m) => m[1]);
  assert.deepEqual(charts, ["fid.score", "p[0]", "a&#39;b"]);
});
