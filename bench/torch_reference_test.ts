import assert from "node:assert/strict";
import { startTorchReference } from "./torch_reference.ts";

/** A stand-in for torch_reference.py --serve: ms a step = steps + batch / 1000, or a failure. */
async function fakeReference(body: string): Promise<string> {
  const script = await Deno.makeTempFile({ suffix: ".py" });
  await Deno.writeTextFile(
    script,
    `import json, sys\nargs = sys.argv[1:]\nbatch = int(args[args.index("--batch") + 1])\n${body}`,
  );
  return script;
}

Deno.test("the PyTorch reference answers each window with its own timing", async () => {
  const script = await fakeReference(`
assert args[args.index("--model") + 1] == "ring" and "--serve" in args
print(json.dumps({"ready": True}), flush=True)
for line in iter(sys.stdin.readline, ""):
    print(json.dumps({"msPerStep": int(line) + batch / 1000}), flush=True)
`);
  const reference = await startTorchReference({ model: "ring", batch: 32, threads: 1, script });
  assert.ok(typeof reference !== "string", String(reference));
  assert.equal(await reference.window(5), 5.032);
  assert.equal(await reference.window(2), 2.032);
  await reference.close();
  await Deno.remove(script);
});

Deno.test("a PyTorch reference that cannot start says why", async () => {
  const failing = await fakeReference(`raise RuntimeError("no torch here")\n`);
  const options = { model: "mlp", batch: 64, threads: 1 };
  assert.equal(
    await startTorchReference({ ...options, script: failing }),
    "the reference stopped: RuntimeError: no torch here",
  );
  await Deno.remove(failing);
  const missing = await startTorchReference({ ...options, script: "/nonexistent/reference.py" });
  assert.equal(missing, "/nonexistent/reference.py is missing");
});
