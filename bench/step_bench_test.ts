import assert from "node:assert/strict";

/**
 * Runs `deno task bench`'s script with `args` and `reference` as its PyTorch reference (by
 * default none: gantry's side only); returns its exit code and output.
 */
async function bench(args: string[], reference = "./no_such_reference.py") {
  const script = new URL("./step_bench.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { NO_COLOR: "1", GANTRY_TORCH_REFERENCE: reference },
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
    const { code, stdout, stderr } = await bench(args);
    assert.equal(code, 1, args.join(" "));
    assert.equal(stdout, "", args.join(" "));
    const lines = stderr.trim().split("\n");
    assert.deepEqual(lines.length, 2, stderr);
    assert.equal(lines[0], message);
    assert.match(lines[1], /^Usage: deno task bench \[--model /);
  }
  const help = await bench(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task bench .*\[--profile\] \[--json\]\n$/);
});

Deno.test("the bench pairs each window with the reference's and profiles a step", async () => {
  // A stand-in reference: 1,000 ms a step, logging each window it was asked for.
  const dir = await Deno.makeTempDir();
  const log = `${dir}/windows.log`;
  await Deno.writeTextFile(
    `${dir}/reference.py`,
    `import json, sys
print(json.dumps({"ready": True}), flush=True)
for line in iter(sys.stdin.readline, ""):
    open(${JSON.stringify(log)}, "a").write(line)
    print(json.dumps({"msPerStep": 1000}), flush=True)
`,
  );
  const args = ["--model", "ring", "--backend", "cpu", "--steps", "2", "--windows", "3"];
  const { code, stdout, stderr } = await bench(
    [...args, "--profile", "--json"],
    `${dir}/reference.py`,
  );
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
  // ring's 1,000 reference steps over 3 windows; one more after the warm-up, none after the
  // profiled window.
  assert.equal(await Deno.readTextFile(log), "333\n".repeat(4));
  assert.ok(
    lines.includes(
      "  pytorch ring reference (1 thread(s), 3 windows of 333 steps, each after one of " +
        "gantry's): 1000.00 ms median",
    ),
    stdout,
  );
  const summary = JSON.parse(lines.find((l) => l.startsWith("{"))!);
  assert.deepEqual(Object.keys(summary), [
    "model",
    "backend",
    "threads",
    "msPerStep",
    "minMs",
    "maxMs",
    "stepsPerSecond",
    "steps",
    "windows",
    "torchMsPerStep",
    "ratio",
    "ratioMin",
    "ratioMax",
  ]);
  assert.deepEqual([summary.model, summary.steps, summary.windows], ["ring", 2, 3]);
  assert.ok(summary.minMs > 0 && summary.minMs <= summary.msPerStep, stdout);
  assert.ok(summary.msPerStep <= summary.maxMs, stdout);
  assert.equal(summary.torchMsPerStep, 1000);
  // Against a constant reference each window's ratio is its own ms / 1,000.
  assert.deepEqual(
    [summary.ratioMin, summary.ratio, summary.ratioMax],
    [summary.minMs, summary.msPerStep, summary.maxMs].map((ms) => Number((ms / 1000).toFixed(2))),
  );
  assert.match(
    lines.find((l) => l.startsWith("  ratio"))!,
    /^ {2}ratio gantry\/pytorch: [\d.]+x median of the window pairs \(min [\d.]+, max [\d.]+\)$/,
  );
  await Deno.remove(dir, { recursive: true });
});
