/**
 * The command line's shared parsing: a command's flags and positionals with `--help`, and the
 * checks of flag values.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { BackendName } from "../backend/select.ts";

/** Thrown for bad command-line arguments; the CLI prints it and exits with code 1. */
export class UsageError extends Error {}

/** A command's flags by kind: taking a value, taking one each time (repeatable), switches. */
export interface Flags {
  string?: readonly string[];
  strings?: readonly string[];
  boolean?: readonly string[];
}

type Names<T> = T extends readonly string[] ? T[number] : never;

/** The values parsed for {@linkcode Flags}: a switch is false unless given. */
export type FlagValues<F extends Flags> =
  & { [K in Names<F["string"]>]: string | undefined }
  & { [K in Names<F["strings"]>]: string[] }
  & { [K in Names<F["boolean"]>]: boolean };

/** What a command takes besides its flags. */
export interface Positionals {
  /** What they are, in the error for a wrong count: "CONFIG file", "RUN directory", "DIR". */
  name: string;
  /** Any number from one; default exactly one. */
  many?: boolean;
}

/** What a command is: its help, flags, positionals, and what it does with them. */
export interface CommandSpec<F extends Flags> {
  help: string;
  flags: F;
  /** None when unset. */
  positionals?: Positionals;
  /** Does the command's work; resolves to the exit code. */
  run(values: FlagValues<F>, positionals: string[]): Promise<number>;
}

/** parseArgs's description of a flag of this kind (a fresh one: defaults are not shared). */
function descriptor(kind: keyof Flags): NonNullable<ParseArgsConfig["options"]>[string] {
  if (kind === "strings") return { type: "string", multiple: true, default: [] };
  return kind === "boolean" ? { type: "boolean", default: false } : { type: "string" };
}

const KINDS: (keyof Flags)[] = ["string", "strings", "boolean"];

/**
 * A command of the CLI: `--help` prints its help and exits 0; an unknown flag, or a wrong
 * number of positionals, is an error followed by the help.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { command } from "./flags.ts";
 *
 * const echo = command({
 *   help: "Usage: echo FILE [--out DIR]",
 *   flags: { string: ["out"], strings: ["plugin"] },
 *   positionals: { name: "FILE" },
 *   run: async ({ out, plugin }, [file]) => (file === "a" && out === "b" && !plugin.length ? 0 : 2),
 * });
 * assert.equal(await echo(["a", "--out", "b"]), 0);
 * await assert.rejects(() => echo([]), /Expected one FILE, got 0/);
 * ```
 */
export function command<const F extends Flags>(spec: CommandSpec<F>) {
  return async (args: string[]): Promise<number> => {
    const options = Object.fromEntries(
      KINDS.flatMap((kind) => (spec.flags[kind] ?? []).map((name) => [name, descriptor(kind)])),
    );
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: spec.positionals !== undefined,
      options: { ...options, help: { type: "boolean", default: false } },
    });
    if (values.help) {
      console.log(spec.help);
      return 0;
    }
    const expected = spec.positionals;
    const count = positionals.length;
    if (expected && (expected.many ? count < 1 : count !== 1)) {
      const wanted = expected.many
        ? `Expected at least one ${expected.name}`
        : `Expected one ${expected.name}, got ${count}`;
      throw new UsageError(`${wanted}\n\n${spec.help}`);
    }
    return await spec.run(values as FlagValues<F>, positionals);
  };
}

/** The whole number a flag gives, or undefined when the flag is absent. */
export function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`Invalid --${name} ${JSON.stringify(value)}: expected a whole number`);
  }
  return Number(value);
}

const BACKEND_CHOICES: readonly BackendName[] = ["auto", "webgpu", "wasm", "cpu"];

/** Checks a --backend flag's value. */
export function backendFlag(value: string): BackendName {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new UsageError(
      `Invalid --backend ${JSON.stringify(value)}: expected auto, webgpu, wasm or cpu`,
    );
  }
  return value as BackendName;
}
