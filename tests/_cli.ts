/**
 * Runs the CLI as gantry's tasks do (`deno run -A core/cli/launch.ts ...args`, which starts
 * main.ts with least privilege) from the repository root, and captures the output.
 */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = new URL("..", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}core/cli/launch.ts`, ...args],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1", ...options.env },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * Runs a Deno script (`deno run -A script`), killed after `timeoutMs`, and captures the output;
 * `signal` is the one that killed it, null if it ended by itself.
 */
export async function runScript(
  script: string,
  timeoutMs = 120_000,
): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    signal: output.signal,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}
