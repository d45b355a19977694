/**
 * `deno task report DIR...`: merges grid directories into one summary and report.
 *
 * @module
 */
import { type ReportFiles, writeReport } from "../ablate/report.ts";
import { command, integerFlag, pathFlag } from "./flags.ts";

const HELP = `Usage: deno task report DIR... [--out DIR] [--smooth N]

Merges the results.jsonl of every DIR (shards, reruns; a cell present in several counts once)
into summary.csv, summary.md and report.html in --out (default: the first DIR). With --smooth N
the report's curves are also drawn as a moving average over N logged steps.`;

/** `deno task report DIR... [--out DIR]`; resolves to the exit code. */
export const reportCommand = command({
  help: HELP,
  flags: { string: ["out", "smooth"] },
  positionals: { name: "DIR", many: true },
  run: async (values, positionals) => {
    const smoothing = integerFlag("smooth", values.smooth);
    const out = pathFlag("out", values.out) ?? positionals[0];
    printReport(await writeReport(positionals, out, { smoothing }));
    return 0;
  },
});

/** Prints the summary table and where the report's files are. */
export function printReport(report: ReportFiles): void {
  console.log(report.markdown);
  if (report.leftOut) {
    console.log(
      `left out: ${report.leftOut} results of cells not in the current grid (an earlier version)`,
    );
  }
  console.log(`summary: ${report.csvPath}, ${report.markdownPath}`);
  console.log(`report:  ${report.htmlPath}`);
}
