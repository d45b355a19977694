/**
 * Opens a rendered report in headless Chromium: the DOM it builds must hold the summary table and
 * every chart's SVG, and a screenshot is kept next to the report for a person to look at.
 * Without /usr/bin/chromium (Debian package `chromium`) the test is ignored, unless
 * GANTRY_REQUIRE_CHROMIUM is set, as CI does.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng } from "../deps.ts";
import { imageGridPng } from "../core/store/png.ts";
import { renderReport, type ReportInput, type ReportSeedRun } from "../core/ablate/report_html.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/**
 * A seed's run: `logged` train.jsonl rows, one every 10 steps, three metrics at `evaluations`
 * evaluations, each with a picture of samples; `seed` shifts the curves.
 */
function run(seed: number, status = "ok", evaluations = 4, logged = 200): ReportSeedRun {
  const train = Array.from({ length: logged }, (_, i) => {
    const t = i / (logged - 1);
    return {
      step: (i + 1) * 10,
      dLoss: 1.3 - 0.6 * t + 0.1 * Math.sin(3 * i + seed),
      gLoss: 0.7 + 0.9 * t + 0.1 * Math.cos(2 * i + seed),
      dReal: 0.55 + 0.3 * t,
      dFake: 0.45 - 0.3 * t + 0.02 * seed,
      lr: 0.001,
    };
  });
  const metrics = Array.from({ length: evaluations }, (_, i) => {
    const t = i / (evaluations - 1);
    const { lr: _lr, ...stats } = train[Math.round(t * (logged - 1))];
    return {
      ...stats,
      modes: Math.min(8, Math.round(2 + 6 * t + (seed % 2))),
      highQuality: 0.5 + 0.4 * t * (1 - 0.1 * seed),
      reverseKL: 1.5 * Math.exp(-3 * t) + 0.05 * seed,
    };
  });
  const samples = metrics.map((row) => ({ step: row.step, png: sampleGrid(row.step + seed) }));
  return { seed, status, train, metrics, samples };
}

/** 16 tiny 8x8 RGB "images", tiled as the engine tiles samples: a 42-pixel-wide PNG. */
function sampleGrid(phase: number): Uint8Array {
  const images = new Float32Array(16 * 8 * 8 * 3).map((_, i) => Math.sin(i * 0.37 + phase));
  return imageGridPng(images, { height: 8, width: 8, channels: 3 });
}

const MODES = ["minimax", "non-saturating", "feature-matching"].flatMap((loss) =>
  ["<off>", "on"].map((mbd, i) => ({ values: [loss, mbd], mean: 5 + i + loss.length / 10 }))
);

const INPUT: ReportInput = {
  title: "Ablation: loss × minibatch discrimination",
  summary: {
    columns: ["cell", "seeds ok", "modes", "reverseKL"],
    rows: [
      ["loss=minimax, mbd=<off>", "3/3", "7.3 ± 0.5", "0.12 ± 0.03"],
      ["loss=non-saturating, mbd=on", "2/3", "8.0 ± 0.0", "0.08 ± 0.01"],
      ["loss=feature-matching, mbd=on", "0/2", "—", "—"],
    ],
  },
  chart: {
    axes: ["loss", "mbd"],
    points: [
      ...MODES.map((p) => ({ ...p, metric: "modes", std: 0.5 })),
      ...MODES.map((p) => ({ ...p, metric: "reverseKL", mean: p.mean / 50, std: 0.01 })),
    ],
  },
  cells: [
    { label: "loss=minimax, mbd=<off>", runs: [run(1), run(2), run(3)] },
    {
      label: "loss=non-saturating, mbd=on",
      runs: [run(1), run(2), run(3, "diverged")],
    },
    {
      label: "loss=feature-matching, mbd=on",
      runs: [
        { seed: 1, status: "failed", train: [], metrics: [], samples: [] },
        { ...run(2, "unfinished", 2, 80), metrics: [] },
      ],
    },
  ],
  smoothing: 10,
  progress: { finished: 7, total: 8 },
};
/** losses, discriminator, modes, highQuality, reverseKL for each finished cell; 2 unfinished. */
const CHARTS = 2 * 5 + 2;

/** Runs Chromium headless on `url` with a fresh profile; returns its stdout. */
async function chromium(url: string, ...args: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "gantry-chromium-" });
  try {
    const { success, code, stdout, stderr } = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Docker's default /dev/shm (64 MB) is too small for Chromium's shared memory.
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        ...args,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert.ok(success, `chromium exited ${code}:\n${new TextDecoder().decode(stderr)}`);
    return text;
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

Deno.test({
  name: "report renders in headless Chromium",
  ignore: !haveChromium && !Deno.env.get("GANTRY_REQUIRE_CHROMIUM"),
  fn: async () => {
    // The directory is kept: the screenshot in it is for a person to look at.
    const dir = await Deno.makeTempDir({ prefix: "gantry-report-" });
    const report = join(dir, "report.html");
    await Deno.writeTextFile(report, await renderReport(INPUT));
    const url = `file://${report}`;

    const dom = await chromium(url, "--dump-dom");
    const table = dom.match(/<table id="summary">[\s\S]*?<\/table>/)?.[0];
    assert.ok(table, "no summary table in the DOM");
    assert.equal(table.split("<tr>").length - 1, 1 + INPUT.summary.rows.length);
    assert.ok(table.includes("mbd=&lt;off&gt;"));
    assert.equal(dom.split('<section class="cell">').length - 1, INPUT.cells.length);
    const charts = [...dom.matchAll(/<div class="chart" data-chart="(\w+)"><svg[^>]*>/g)];
    assert.equal(charts.length, CHARTS, charts.map((m) => m[1]).join());
    // Dense curves: every logged step of a seed is a point of its line (raw and smoothed).
    const losses = dom.slice(dom.indexOf('data-chart="losses"'));
    const points = losses.slice(0, losses.indexOf("</svg>")).match(/ d="M[^"]+"/g)!
      .map((d) => d.split("L").length);
    assert.ok(points.filter((n) => n === 200).length >= 6, `lines of ${points} points`);
    // The summary chart, above the table: a point per combination for each metric.
    const summaryCharts = [...dom.matchAll(/data-summary-chart="(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(summaryCharts, ["modes", "reverseKL"]);
    assert.ok(dom.indexOf("data-summary-chart") < dom.indexOf('<table id="summary">'));
    // The sample strips: a row per seed with samples, an image per evaluation.
    const strips = [...dom.matchAll(/<table class="strip">[\s\S]*?<\/table>/g)].map((m) =>
      m[0].split("<img").length - 1
    );
    assert.deepEqual(strips, [12, 12, 2]);
    assert.ok(dom.includes("7 of 8 cells finished"));
    assert.ok(dom.includes("seed 2: unfinished, step 800 logged"));

    const screenshot = join(dir, "report.png");
    await chromium(url, `--screenshot=${screenshot}`, "--window-size=1280,3000");
    const png = await Deno.readFile(screenshot);
    assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
    const { width, height } = decodePng(png);
    assert.deepEqual([width, height], [1280, 3000]);
    console.log(`screenshot: ${screenshot}`);
  },
});
