/**
 * The one entry point of the GPU check's compiled binary (`bench/gpu/pack.sh`): `bench ...` runs
 * `deno task bench`'s script, anything else gantry's command line, so that one self-contained
 * executable (Deno, gantry and its npm modules) carries both to a machine without Deno.
 *
 * @module
 */
import { main } from "../../core/cli/main.ts";

if (Deno.args[0] === "bench") await import("../step_bench.ts");
else Deno.exit(await main(Deno.args));
