/**
 * The command line's shared parsing: a command's flags and positionals with `--help`, and the
 * checks of flag values.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { BackendName } from "../backend/select.ts";
import { MAX_WASM_THREADS } from "../backend/wasm_threads.ts";
import { UsageError } from "../contract/errors.ts";

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
  /** Exactly one, then any number of `key.path=value` config overrides. */
  overrides?: boolean;
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
      args: negativeValues(args, spec.flags),
      allowPositionals: spec.positionals !== undefined,
      options: { ...options, help: { type: "boolean", default: false } },
    });
    if (values.help) {
      console.log(spec.help);
      return 0;
    }
    const expected = spec.positionals;
    const count = positionals.length;
    const stray = expected?.overrides && positionals.slice(1).find((p) => !p.includes("="));
    if (stray) {
      throw new UsageError(
        `Expected one ${expected!.name}, then key.path=value overrides; ` +
          `${JSON.stringify(stray)} is neither\n\n${spec.help}`,
      );
    }
    if (expected && (expected.many || expected.overrides ? count < 1 : count !== 1)) {
      const wanted = expected.many || expected.overrides
        ? `Expected ${expected.many ? "at least " : ""}one ${expected.name}`
        : `Expected one ${expected.name}, got ${count}`;
      throw new UsageError(`${wanted}\n\n${spec.help}`);
    }
    return await spec.run(values as FlagValues<F>, positionals);
  };
}

/**
 * `--flag -5` as `--flag=-5` for a flag that takes a value, so that a negative number reaches
 * the flag's own check instead of reading as an option.
 */
function negativeValues(args: string[], flags: Flags): string[] {
  const valued = new Set([...(flags.string ?? []), ...(flags.strings ?? [])].map((f) => `--${f}`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (valued.has(args[i]) && /^-\d/.test(args[i + 1] ?? "")) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** The whole numbers each numeric flag takes, inclusive. */
const RANGES: Record<string, [number, number]> = {
  steps: [1, 1e9],
  seed: [0, 2 ** 31 - 1],
  workers: [1, 1024],
  threads: [1, MAX_WASM_THREADS],
  "shard-count": [1, 1e6],
  n: [1, 10_000],
  smooth: [1, 10_000],
};

/**
 * The whole number a flag gives, or undefined when the flag is absent; a value that is not a
 * whole number in the flag's range is refused with the range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerFlag } from "./flags.ts";
 *
 * assert.equal(integerFlag("steps", "300"), 300);
 * assert.throws(() => integerFlag("workers", "-2"), /Invalid --workers "-2": expected a whole number from 1 to 1024/);
 * ```
 */
export function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const [min, max] = RANGES[name] ?? [0, Number.MAX_SAFE_INTEGER];
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(
      `Invalid --${name} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return number;
}

/** A flag naming a file or directory, or undefined when the flag is absent; never empty. */
export function pathFlag(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !value.trim()) {
    throw new UsageError(`Invalid --${name} ${JSON.stringify(value)}: expected a path`);
  }
  return value;
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
