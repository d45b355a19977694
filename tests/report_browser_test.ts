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

/** A seed's run of `n` evaluations up to step 2000 with three metrics; `seed` shifts the curves. */
function run(seed: number, status = "ok", n = 20): ReportSeedRun {
  const rows = Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return {
      step: (i + 1) * 2000 / n,
      dLoss: 1.3 - 0.6 * t + 0.1 * Math.sin(3 * i + seed),
      gLoss: 0.7 + 0.9 * t + 0.1 * Math.cos(2 * i + seed),
      dReal: 0.55 + 0.3 * t,
      dFake: 0.45 - 0.3 * t + 0.02 * seed,
      modes: Math.min(8, Math.round(2 + 6 * t + (seed % 2))),
      highQuality: 0.5 + 0.4 * t * (1 - 0.1 * seed),
      reverseKL: 1.5 * Math.exp(-3 * t) + 0.05 * seed,
    };
  });
  return { seed, status, rows };
}

/** 16 tiny 8x8 RGB "images", tiled as the engine tiles samples: a 42-pixel-wide PNG. */
function sampleGrid(): Uint8Array {
  const images = new Float32Array(16 * 8 * 8 * 3).map((_, i) => Math.sin(i * 0.37));
  return imageGridPng(images, { height: 8, width: 8, channels: 3 });
}

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
  cells: [
    { label: "loss=minimax, mbd=<off>", runs: [run(1), run(2), run(3)], samplePng: sampleGrid() },
    {
      label: "loss=non-saturating, mbd=on",
      // Few evaluations: the charts mark each with a dot.
      runs: [run(1, "ok", 8), run(2, "ok", 8), run(3, "diverged", 8)],
      samplePng: sampleGrid(),
    },
    {
      label: "loss=feature-matching, mbd=on",
      runs: [{ seed: 1, status: "failed", rows: [] }, { seed: 2, status: "failed", rows: [] }],
    },
  ],
};
/** losses, discriminator, modes, highQuality, reverseKL for each cell with metrics. */
const CHARTS = 2 * 5;

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
    assert.equal(charts.length, CHARTS);
    assert.ok(dom.includes("no metrics"));

    const screenshot = join(dir, "report.png");
    await chromium(url, `--screenshot=${screenshot}`, "--window-size=1280,2000");
    const png = await Deno.readFile(screenshot);
    assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
    const { width, height } = decodePng(png);
    assert.deepEqual([width, height], [1280, 2000]);
    console.log(`screenshot: ${screenshot}`);
  },
});
