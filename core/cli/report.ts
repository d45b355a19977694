/**
 * `deno task report DIR...`: merges grid directories into one summary and report.
 *
 * @module
 */
import { type ReportFiles, writeReport } from "../ablate/report.ts";
import { command, pathFlag } from "./flags.ts";

const HELP = `Usage: deno task report DIR... [--out DIR]

Merges the results.jsonl of every DIR (shards, reruns; a cell present in several counts once)
into summary.csv, summary.md and report.html in --out (default: the first DIR).`;

/** `deno task report DIR... [--out DIR]`; resolves to the exit code. */
export const reportCommand = command({
  help: HELP,
  flags: { string: ["out"] },
  positionals: { name: "DIR", many: true },
  run: async (values, positionals) => {
    printReport(await writeReport(positionals, pathFlag("out", values.out) ?? positionals[0]));
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
