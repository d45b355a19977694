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

/** Three evaluations of one seed, with one metric beyond the fixed columns. */
function run(seed: number): ReportSeedRun {
  const rows = [500, 1000, 1500].map((step, i) => ({
    step,
    dLoss: 1.2 - 0.1 * i + 0.01 * seed,
    gLoss: 0.8 + 0.2 * i,
    dReal: 0.6 + 0.05 * i,
    dFake: 0.4 - 0.05 * i,
    modes: 4 + i + seed,
  }));
  return { seed, status: "ok", rows };
}

const INPUT: ReportInput = {
  title: "ring <grid> & co",
  summary: {
    columns: ["cell", "modes (mean ± sd)"],
    rows: [["loss=<b>minimax</b>", "6.5 ± 0.5"], ["loss=non-saturating", "7.0 ± 0.0"]],
  },
  cells: [
    { label: "loss=<b>minimax</b>", runs: [run(1), run(2)], samplePng: PNG },
    { label: "loss=non-saturating", runs: [run(1), run(2)], samplePng: PNG },
  ],
};

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The text of each cell's section, in order. */
const sections = (html: string) => html.split('<section class="cell">').slice(1);

Deno.test("renderReport: summary table with escaped text", async () => {
  const html = await renderReport(INPUT);
  assert.match(html, /^<!doctype html>/);
  assert.ok(html.includes("<title>ring &lt;grid&gt; &amp; co</title>"));
  const table = html.match(/<table id="summary">[\s\S]*?<\/table>/)?.[0];
  assert.ok(table, "no summary table");
  assert.ok(table.includes("<th>modes (mean ± sd)</th>"));
  assert.ok(table.includes("<td>loss=&lt;b&gt;minimax&lt;/b&gt;</td>"), table);
  assert.ok(!html.includes("<b>"), "unescaped label");
  assert.equal(count(table, "<tr>"), 3);
});

Deno.test("renderReport: one section per cell with its sample and three charts", async () => {
  const html = await renderReport(INPUT);
  const cells = sections(html);
  assert.equal(cells.length, 2);
  assert.ok(cells[0].includes("<h2>loss=&lt;b&gt;minimax&lt;/b&gt;</h2>"));
  for (const cell of cells) {
    assert.equal(count(cell, "data:image/png;base64,"), 1);
    const charts = [...cell.matchAll(/<div class="chart" data-chart="(\w+)"><svg/g)];
    assert.deepEqual(charts.map((m) => m[1]), ["losses", "discriminator", "modes"]);
    assert.equal(count(cell, "<svg"), 3);
    assert.equal(count(cell, "</svg>"), 3);
  }
  // The sample is the same bytes, not a re-encoding.
  const base64 = html.match(/data:image\/png;base64,([A-Za-z0-9+/=]+)"/)?.[1];
  assert.deepEqual(Uint8Array.fromBase64(base64!), PNG);
  // A 2x2 grid is shown scaled up with crisp pixels.
  assert.match(html, /<img class="sample pixelated" width="160"/);
});

Deno.test("renderReport: nothing is loaded from elsewhere", async () => {
  const html = await renderReport(INPUT);
  // The only URLs allowed are the namespace names vega writes on its <svg> elements.
  const urls = html.replace(/ xmlns(:xlink)?="http:\/\/www\.w3\.org\/[\w/]+"/g, "");
  assert.doesNotMatch(urls, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|<iframe|<object|@import|url\(/i);
});

Deno.test("renderReport: a cell without metrics says so", async () => {
  const failed = (seed: number): ReportSeedRun => ({ seed, status: "failed", rows: [] });
  const html = await renderReport({
    ...INPUT,
    cells: [INPUT.cells[0], { label: "lr=10", runs: [failed(1), failed(2)] }],
  });
  const [ok, bad] = sections(html);
  assert.equal(count(ok, "<svg"), 3);
  assert.ok(bad.includes("no metrics"));
  assert.ok(bad.includes("seed 2: failed"));
  assert.ok(!bad.includes("<svg") && !bad.includes("<img"));
});

Deno.test("renderReport: metric names are data, not vega field paths", async () => {
  // Dots, brackets and quotes in a field name would be read by vega as nested access.
  const rows = [1, 2].map((step) => ({ step, "fid.score": step, "p[0]": 1, "a'b": 2 }));
  const html = await renderReport({
    ...INPUT,
    cells: [{ label: "odd names", runs: [{ seed: 1, status: "ok", rows }] }],
  });
  const charts = [...html.matchAll(/data-chart="([^"]+)"><svg/g)].map((m) => m[1]);
  assert.deepEqual(charts, ["fid.score", "p[0]", "a&#39;b"]);
});
