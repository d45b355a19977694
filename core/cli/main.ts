/**
 * gantry's command line: `train` runs one config, `ablate` a grid, `report` merges grid results,
 * `eval` scores a saved run, `sample` draws from one, `plugins` lists what can be named. Each
 * command is a thin wrapper over the library call of the same job.
 *
 * @module
 */
import { ConfigError, UsageError } from "../contract/errors.ts";
import { ablateCommand } from "./ablate.ts";
import { evalCommand } from "./eval.ts";
import { explainRefusal } from "./permissions.ts";
import { pluginsCommand } from "./plugins.ts";
import { reportCommand } from "./report.ts";
import { sampleCommand } from "./sample.ts";
import { trainCommand } from "./train.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  train: trainCommand,
  ablate: ablateCommand,
  report: reportCommand,
  sample: sampleCommand,
  eval: evalCommand,
  plugins: pluginsCommand,
};

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (!Object.hasOwn(COMMANDS, command ?? "")) {
      throw new UsageError(
        `Unknown command ${
          JSON.stringify(command ?? "")
        }: expected train, ablate, report, sample, eval or plugins`,
      );
    }
    return await COMMANDS[command](rest);
  } catch (error) {
    // A stack trace helps only when debugging gantry itself.
    const debug = Deno.env.get("GANTRY_DEBUG") && !(error instanceof ConfigError);
    console.error(error instanceof Error && !debug ? explainRefusal(error.message) : error);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
