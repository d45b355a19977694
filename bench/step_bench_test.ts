import assert from "node:assert/strict";

/** Runs `deno task bench`'s script with `args`; returns its exit code and output. */
async function bench(...args: string[]) {
  const script = new URL("./step_bench.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    // No PyTorch reference: the test times gantry's side only.
    env: { NO_COLOR: "1", GANTRY_TORCH_REFERENCE: "./no_such_reference.py" },
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

Deno.test("the bench times a model's windows and profiles a step's kernels", async () => {
  const args = ["--model", "ring", "--backend", "cpu", "--steps", "2", "--windows", "3"];
  const { code, stdout, stderr } = await bench(...args, "--profile", "--json");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.match(
    lines[0],
    /^gantry ring step \(cpu, batch 64\): [\d.]+ ms median \(min [\d.]+, max [\d.]+; 3 windows of 2 steps after 2 warm-up\)/,
  );
  assert.match(
    lines[1],
    /^ {2}profile of one step \(mean of 2\): [\d.]+ ms, \d+ kernels of \d+ kinds/,
  );
  assert.ok(lines.includes("  by count:"), stdout);
  assert.ok(
    lines.some((l) =>
      /^ {2}pytorch ring reference skipped: .*no_such_reference\.py is missing$/.test(l)
    ),
    stdout,
  );
  const summary = JSON.parse(lines.find((l) => l.startsWith("{"))!);
  assert.deepEqual(
    Object.keys(summary),
    [
      "model",
      "backend",
      "threads",
      "msPerStep",
      "minMs",
      "maxMs",
      "stepsPerSecond",
      "steps",
      "windows",
    ],
  );
  assert.equal(summary.model, "ring");
  assert.deepEqual([summary.steps, summary.windows], [2, 3]);
  assert.ok(summary.minMs <= summary.msPerStep && summary.msPerStep <= summary.maxMs, stdout);
  assert.ok(summary.minMs > 0, stdout);
});
