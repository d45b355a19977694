/**
 * The least privilege a command runs with. gantry's tasks start the CLI in a child Deno (see
 * `launch.ts`) that may read files and import code from Deno's default hosts, write only where
 * the command writes (its output directory and gantry's cache), read only the environment
 * variables gantry reads, and nothing else: no subprocesses, network or FFI. Code from a
 * plugin or a `.ts` config runs with exactly that. Deno's own `--allow-*` flags given to the
 * command widen it (`-A` allows everything).
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { UsageError } from "../contract/errors.ts";
import { parseAssignments } from "../config/assignments.ts";

/** Deno's hosts that code may be imported from when no `--allow-import` is given. */
export const DEFAULT_IMPORT_HOSTS = [
  "deno.land:443",
  "jsr.io:443",
  "esm.sh:443",
  "cdn.jsdelivr.net:443",
  "raw.githubusercontent.com:443",
  "gist.githubusercontent.com:443",
] as const;

/** Every environment variable gantry reads (a test checks the sources against this list). */
export const GANTRY_ENV = [
  "GANTRY_DEBUG",
  "GANTRY_CACHE",
  "XDG_CACHE_HOME",
  "HOME",
  "USERPROFILE",
  "XDG_RUNTIME_DIR",
  "SLURM_ARRAY_TASK_ID",
  "SLURM_ARRAY_TASK_COUNT",
  "SLURM_ARRAY_TASK_MIN",
  "JOB_COMPLETION_INDEX",
] as const;

/** Deno's permission kinds a user may widen with `--allow-KIND=VALUE`. */
const KINDS = ["read", "write", "net", "env", "sys", "run", "ffi", "import"] as const;
type Kind = typeof KINDS[number];

/** The commands' switches (a test checks them against the commands): other flags take a value. */
export const SWITCHES = new Set([
  "--help",
  "--resume",
  "--overwrite",
  "--exit-zero",
  "--tensorboard",
]);

/** The commands that evaluate metrics, which may train and cache a domain classifier. */
const CACHING = new Set(["train", "ablate", "eval"]);

/** What {@linkcode sandbox} needs to know of the machine. */
export interface SandboxContext {
  /** gantry's cache directory, when there is one. */
  cacheDir?: string;
  /** The `name` of a config or grid file (train and ablate write into `runs/<name>`). */
  nameOf?: (file: string) => string | undefined;
  /** The checkout (absolute): no plugin may write into it but under its `runs/`. */
  checkout?: string;
  /** The user's home (absolute): no plugin may write to it or above it. */
  home?: string;
}

/** A command's child process: Deno's permission flags and the arguments gantry's CLI gets. */
export interface Sandbox {
  denoFlags: string[];
  args: string[];
}

/**
 * The permission flags for gantry's CLI run with `args` (the command first), and those args
 * without the `--allow-*` flags meant for Deno. A command's output that would let plugins write
 * gantry's own code (the checkout but its `runs/`) or the home directory is refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sandbox } from "./permissions.ts";
 *
 * const { denoFlags, args } = sandbox(
 *   ["train", "cfg.json", "--out", "/tmp/run", "--allow-import=127.0.0.1:8000"],
 *   { cacheDir: "/home/me/.cache/gantry", checkout: "/home/me/gantry", home: "/home/me" },
 * );
 * assert.deepEqual(args, ["train", "cfg.json", "--out", "/tmp/run"]);
 * assert.ok(denoFlags.includes("--allow-write=/tmp/run,/home/me/.cache/gantry"));
 * assert.ok(denoFlags.some((f) => f.startsWith("--allow-import=") && f.endsWith(",127.0.0.1:8000")));
 * assert.ok(!denoFlags.some((f) => /^--allow-(run|net|ffi)/.test(f)));
 * ```
 */
export function sandbox(args: string[], context: SandboxContext = {}): Sandbox {
  const { cacheDir, nameOf = () => undefined } = context;
  const granted = new Map<Kind, string[]>(KINDS.map((kind) => [kind, []]));
  const rest: string[] = [];
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-A" || arg === "--allow-all") {
      all = true;
      continue;
    }
    const match = /^--allow-([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const kind = match[1] as Kind;
    if (!KINDS.includes(kind)) {
      throw new UsageError(
        `Unknown permission flag ${arg}: expected --allow-{${KINDS}}=VALUE or -A`,
      );
    }
    const value = match[2] ?? args[++i];
    if (!value || value.startsWith("-")) {
      throw new UsageError(
        `--allow-${kind} needs a value (--allow-${kind}=VALUE, a comma-separated list): ` +
          "gantry widens its least privilege only as far as you name (-A allows everything)",
      );
    }
    granted.get(kind)!.push(value);
  }
  if (all) return { denoFlags: ["-A"], args: rest };
  // An empty path is left out here for the command to refuse with its own message.
  const outputs = writeTargets(rest, nameOf).filter((path) => path.trim());
  for (const output of outputs) refuseProtected(output, context);
  const cache = cacheDir && CACHING.has(rest[0]) ? [cacheDir] : [];
  const writes = [...outputs, ...cache].map(listable);
  const list = (kind: Kind, base: readonly string[]) => [...base, ...granted.get(kind)!].join(",");
  const denoFlags = [
    "--no-prompt",
    "--allow-read",
    `--allow-import=${list("import", DEFAULT_IMPORT_HOSTS)}`,
    `--allow-env=${list("env", GANTRY_ENV)}`,
    // os.cpus(): wasm's thread count.
    `--allow-sys=${list("sys", ["cpus"])}`,
  ];
  const writeList = list("write", writes);
  if (writeList) denoFlags.push(`--allow-write=${writeList}`);
  for (const kind of ["net", "run", "ffi"] as const) {
    if (granted.get(kind)!.length) denoFlags.push(`--allow-${kind}=${list(kind, [])}`);
  }
  return { denoFlags, args: rest };
}

/** A name that can only name a directory under runs/ (the schemas' rule for names). */
const DIRECTORY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Where a command writes: its `--out`, else its default (`runs/<name>` for a run or a grid whose
 * name is known, else `runs/`; RUN; the first DIR).
 */
function writeTargets(args: string[], nameOf: (file: string) => string | undefined): string[] {
  const [command, ...rest] = args;
  const positionals: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg.startsWith("--out=")) out = arg.slice("--out=".length);
    else if (arg === "--out") out = rest[++i];
    else if (arg.startsWith("-")) i += SWITCHES.has(arg) || arg.includes("=") ? 0 : 1;
    else positionals.push(arg);
  }
  const first = positionals[0];
  switch (command) {
    case "train":
    case "ablate": {
      // train's `name=...` override names the run (ablate's set the base's, not the grid's).
      const renamed = command === "train" && positionals.findLast((p) => p.startsWith("name="));
      const name = renamed
        ? String(parseAssignments([renamed]).name)
        : first === undefined
        ? undefined
        : nameOf(first);
      return [out ?? (name && DIRECTORY_NAME.test(name) ? join("runs", name) : "runs")];
    }
    case "report":
      return [out ?? first].filter((p) => p !== undefined);
    case "eval":
      return first === undefined ? [] : [first];
    case "sample":
      // An atomic write puts its temp file beside the PNG.
      return out !== undefined ? [dirname(out)] : first === undefined ? [] : [first];
    default:
      return [];
  }
}

/** Refuses an output that holds the checkout's code or the home directory (or lies above them). */
function refuseProtected(path: string, { checkout, home }: SandboxContext): void {
  const target = resolve(path);
  const within = (root: string, inner: string) => {
    const path = relative(root, inner);
    return path === "" || (path.split(sep)[0] !== ".." && !isAbsolute(path));
  };
  const reason = checkout && within(target, checkout)
    ? "it holds gantry's checkout"
    : checkout && within(checkout, target) && !within(join(checkout, "runs"), target)
    ? "it is inside gantry's checkout, outside its runs/"
    : home && within(target, home)
    ? "it holds your home directory"
    : undefined;
  if (reason) {
    throw new UsageError(
      `Cannot write to ${JSON.stringify(path)}: ${reason}, and plugins, which may write where ` +
        "the command does, could then change code or files that are not outputs. Write under " +
        "runs/ or a directory of its own (or, trusting every plugin, run with -A)",
    );
  }
}

/** A path for a permission list, which Deno splits at commas. */
function listable(path: string): string {
  if (path.includes(",")) {
    throw new UsageError(
      `Cannot write to ${JSON.stringify(path)}: Deno's permission flags cannot name a path with ` +
        "a comma, so gantry could not allow writing there; choose a path without one",
    );
  }
  return path;
}

/**
 * Rewrites Deno's refusal in `message` ("Requires write access to "x", run again with the
 * --allow-write flag") as what gantry refused and the flag that allows it; other messages are
 * returned as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { explainRefusal } from "./permissions.ts";
 *
 * const message = explainRefusal(
 *   'Cannot load plugin module m.ts: Requires run access to "id", run again with the --allow-run flag',
 * );
 * assert.match(message, /^Cannot load plugin module m.ts: refused run access to "id"/);
 * assert.match(message, /add --allow-run=id to the command/);
 * ```
 */
export function explainRefusal(message: string): string {
  const refusal = /Requires (\w+) access to "([^"]*)", run again with the --allow-\w+ flag/
    .exec(message);
  if (!refusal) return message;
  const [text, kind, target] = refusal;
  const why = kind === "import"
    ? `code is imported only from Deno's default hosts (${
      DEFAULT_IMPORT_HOSTS.map((host) => host.replace(/:443$/, "")).join(", ")
    }) and those you allow`
    : "gantry runs configs and plugins with least privilege (no subprocesses, network or FFI; " +
      "writes only into the command's output directory and gantry's cache)";
  return message.replace(
    text,
    `refused ${kind} access to "${target}": ${why}. If you trust the code, add ` +
      `--allow-${kind}=${target} to the command, or -A to allow everything`,
  );
}
