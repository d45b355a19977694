import assert from "node:assert/strict";

/** Runs `deno task bench`'s script with `args`; returns its exit code and output. */
async function bench(...args: string[]) {
  const script = new URL("./step_bench.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("the bench refuses a bad flag by name with its usage, before timing anything", async () => {
  const cases: [string[], string][] = [
    [["--modle", "ring"], "bench: Unknown option '--modle'"],
    [["--model", "gan"], "bench: --model: ring, ring-mbd, mlp, dcgan or all"],
    [["--threads", "9"], "bench: --threads: an integer from 1 to 8"],
    [["--backend", "tpu"], "bench: --backend: wasm, cpu or webgpu"],
    [["--model", "ring", "--steps", "0"], "bench: --steps and --windows: positive integers"],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await bench(...args);
    assert.equal(code, 1, args.join(" "));
    assert.equal(stdout, "", args.join(" "));
    const lines = stderr.trim().split("\n");
    assert.deepEqual(lines.length, 2, stderr);
    assert.equal(lines[0], message);
    assert.match(lines[1], /^Usage: deno task bench \[--model /);
  }
  const help = await bench("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task bench .*\[--profile\] \[--json\]\n$/);
});
