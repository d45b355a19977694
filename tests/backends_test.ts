import assert from "node:assert/strict";
import { join } from "node:path";
import { chooseBackend, startBackend } from "../core/backend/select.ts";
import { webgpuAdapter } from "../core/backend/webgpu.ts";
import { tf } from "../deps.ts";
import { builtinRegistry } from "../builtins.ts";
import { train } from "../core/train/train.ts";
import { definePlugin } from "../core/contract/plugin.ts";

const config = (backend: "cpu" | "wasm" | "webgpu" | "auto") => ({
  name: `on-${backend}`,
  dataset: "ring-8",
  backend,
  architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
  discriminator: {
    addons: [{ name: "minibatch-discrimination", options: { kernels: 4, dims: 2 } }],
  },
  train: { steps: 10, batchSize: 16, logEvery: 5 },
  evaluate: { every: 10, metrics: ["mode-coverage"] },
});

// CI sets GANTRY_REQUIRE_WEBGPU=1 after installing lavapipe, so a missing adapter fails there;
// on a fresh machine without one, the WebGPU test is reported as ignored.
const webgpuMissing = !(await webgpuAdapter()) && !Deno.env.get("GANTRY_REQUIRE_WEBGPU");

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test({
    name: `trains on ${backend} and records the backend in result.json`,
    ignore: backend === "webgpu" && webgpuMissing,
  }, async () => {
    const dir = await Deno.makeTempDir();
    const result = await train(config(backend), { registry: builtinRegistry(), outDir: dir });
    assert.equal(result.status, "ok", result.error);
    assert.equal(result.backend, backend);
    assert.ok(Number.isFinite(result.metrics.reverseKL));
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "result.json")));
    assert.equal(saved.backend, backend);
    if (backend === "webgpu") {
      // CI installs Mesa's lavapipe, a software Vulkan adapter.
      assert.ok(saved.adapter && saved.adapter === (await webgpuAdapter())?.name, saved.adapter);
    } else {
      assert.equal(saved.adapter, undefined);
    }
  });
}

Deno.test("auto picks webgpu for a hardware adapter, else wasm", async () => {
  const adapter = await webgpuAdapter();
  const expected = adapter && !adapter.software ? "webgpu" : "wasm";
  const result = await train(config("auto"), { registry: builtinRegistry() });
  assert.equal(result.backend, expected);
});

Deno.test("chooseBackend: auto skips software adapters; webgpu without an adapter throws", () => {
  const hardware = { name: "NVIDIA H200", software: false };
  const lavapipe = { name: "llvmpipe (LLVM 15.0.6, 256 bits)", software: true };
  assert.deepEqual(chooseBackend("auto", hardware), { name: "webgpu", adapter: "NVIDIA H200" });
  assert.deepEqual(chooseBackend("auto", lavapipe), { name: "wasm" });
  assert.deepEqual(chooseBackend("auto", undefined), { name: "wasm" });
  assert.deepEqual(chooseBackend("webgpu", lavapipe), { name: "webgpu", adapter: lavapipe.name });
  assert.deepEqual(chooseBackend("cpu", hardware), { name: "cpu" });
  assert.throws(() => chooseBackend("webgpu", undefined), /navigator.gpu offers no adapter/);
});

Deno.test({
  name: "a WebGPU device error fails the run with the GPU's message, not silent zeros",
  ignore: webgpuMissing,
}, async () => {
  const registry = builtinRegistry().register(definePlugin({
    kind: "loss",
    name: "invalid-gpu-call",
    description: "makes an invalid WebGPU call at step 3",
    create: ({ tf }) => ({
      generator: ({ fake, step }) => {
        if (step === 3) {
          const device = (tf.backend() as unknown as { device: { createBuffer(d: object): void } })
            .device;
          // Usage 0 is invalid: WebGPU reports a validation error asynchronously.
          device.createBuffer({ size: 4, usage: 0 });
        }
        return tf.mean(tf.softplus(tf.neg(fake.logits)));
      },
    }),
  }));
  const result = await train(
    { ...config("webgpu"), loss: { generator: "invalid-gpu-call" } },
    { registry },
  );
  assert.equal(result.status, "failed");
  assert.match(result.error!, /^WebGPU device error: GPUValidationError: /);
});

Deno.test("a backend that cannot start is an error with tfjs's reason, not only a log line", async () => {
  tf.registerBackend("failing-for-test", () => {
    throw new Error("no device for you");
  });
  await assert.rejects(
    () => startBackend("failing-for-test"),
    /^Error: Cannot use backend "failing-for-test": Error: no device for you$/,
  );
  tf.removeBackend("failing-for-test");
});
