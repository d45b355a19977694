/** Runs `deno run -A core/cli/main.ts ...args` from the repository root and captures the output. */
export async function runCli(
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = new URL("..", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}core/cli/main.ts`, ...args],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
