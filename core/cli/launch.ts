/**
 * What gantry's tasks run: starts the CLI (`main.ts`) in a child Deno with the least privilege
 * of {@linkcode sandbox}, passes signals on to it and exits with its code. This process loads
 * no config or plugin, so the broad permissions it starts with reach no user code.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { cacheDirectory } from "../store/cache_directory.ts";
import { UsageError } from "../contract/errors.ts";
import { sandbox } from "./permissions.ts";

const SIGNALS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/** Runs `args` (the command first) in the sandboxed child; resolves to its exit code. */
export async function launch(args: string[]): Promise<number> {
  let cacheDir: string | undefined;
  try {
    cacheDir = cacheDirectory();
  } catch {
    // No cache directory: metrics that need one say so when they run.
  }
  const checkout = new URL("../../", import.meta.url);
  const { denoFlags, args: cliArgs } = sandbox(args, {
    cacheDir,
    nameOf: jsonName,
    checkout: checkout.protocol === "file:"
      ? fileURLToPath(checkout).replace(/\/$/, "")
      : undefined,
    home: Deno.env.get("HOME") || undefined,
  });
  const env: Record<string, string> = {};
  if (cacheDir) env.GANTRY_CACHE = cacheDir;
  if (Deno.build.os === "linux" && !Deno.env.get("XDG_RUNTIME_DIR")) {
    // Mesa's Vulkan drivers want one (see core/backend/webgpu.ts); the child may not create it.
    const dir = `/tmp/gantry-runtime-${Deno.uid() ?? "user"}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // Only a directory of this user's own, closed to others; else a fresh private one.
    const info = await Deno.lstat(dir);
    const owned = info.isDirectory && info.uid === Deno.uid() && !((info.mode ?? 0) & 0o077);
    env.XDG_RUNTIME_DIR = owned ? dir : await Deno.makeTempDir({ prefix: "gantry-runtime-" });
  }
  const main = new URL("./main.ts", import.meta.url);
  const lock = main.protocol === "file:" ? await lockCopy() : undefined;
  const configFlags = main.protocol === "file:"
    ? ["--config", fileURLToPath(new URL("../../deno.json", import.meta.url))]
    : [];
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...configFlags,
        ...(lock ? [`--lock=${lock}`] : []),
        ...denoFlags,
        main.href,
        ...cliArgs,
      ],
      env,
      stdin: "inherit",
    }).spawn();
    const forward = (signal: Deno.Signal) => () => child.kill(signal);
    const listeners = SIGNALS.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
    const status = await child.status;
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    if (lock) await Deno.remove(lock).catch(() => {});
  }
}

/**
 * A temporary copy of the checkout's deno.lock: the child checks gantry's own dependencies
 * against it, and the plugin modules it imports from URLs are added to the copy, not to the
 * checkout's lock.
 */
async function lockCopy(): Promise<string | undefined> {
  const path = await Deno.makeTempFile({ prefix: "gantry-", suffix: ".lock" });
  try {
    await Deno.copyFile(new URL("../../deno.lock", import.meta.url), path);
  } catch {
    await Deno.remove(path);
    return undefined;
  }
  return path;
}

/** The `name` a JSON config or grid gives; a `.ts` one runs code, so it is not read here. */
function jsonName(path: string): string | undefined {
  if (!path.endsWith(".json")) return undefined;
  try {
    const name = JSON.parse(Deno.readTextFileSync(path))?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

function signalNumber(signal: Deno.Signal): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await launch(Deno.args));
  } catch (error) {
    console.error(error instanceof UsageError ? error.message : error);
    Deno.exit(1);
  }
}
