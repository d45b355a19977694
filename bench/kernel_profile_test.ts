import assert from "node:assert/strict";
import { tf } from "../deps.ts";
import { useBackend } from "../core/backend/select.ts";
import { formatProfile, profileKernels } from "./kernel_profile.ts";

Deno.test("profileKernels counts and times each kernel while recording, and restores them", async () => {
  await useBackend("cpu");
  const a = tf.ones([8, 8]);
  const profiler = profileKernels("cpu");
  tf.add(a, a).dispose(); // before start: not counted
  profiler.start();
  for (let i = 0; i < 3; i++) tf.add(a, a).dispose();
  tf.matMul(a, a).dispose();
  const stats = profiler.stop();
  tf.add(a, a).dispose(); // after stop: not counted
  profiler.restore();
  const calls = Object.fromEntries(stats.map((s) => [s.name, s.calls]));
  assert.deepEqual(calls, { Add: 3, BatchMatMul: 1 });
  assert.ok(stats.every((s) => s.ms >= 0));
  assert.ok(stats[0].ms >= stats[1].ms, "sorted by time");
  const text = formatProfile(stats, 2, 10);
  const lines = text.split("\n");
  assert.match(
    lines[0],
    /^ {2}profile of one step \(mean of 2\): 5\.00 ms, 2 kernels of 2 kinds, /,
  );
  assert.match(lines[0], /ms in kernels, [\d.]+ ms \([\d.]+%\) outside them$/);
  assert.equal(lines[1], "  by time:");
  assert.equal(lines.indexOf("  by count:"), 4);
  assert.match(lines[5], /^ {4}Add +1\.5 calls +[\d.]+ ms +[\d.]+%$/);
  a.dispose();
});
