import assert from "node:assert/strict";
import { modeCoverage } from "./mode_coverage.ts";

const means = [[0, 0], [1, 0], [0, 1], [1, 1]];

Deno.test("mode coverage counts modes with a high-quality sample and the fraction of them", () => {
  const points = [0.01, 0, 0, 0.02, 1, 0.01, 0.5, 0.5, 0.9, 0];
  const result = modeCoverage(points, means, 0.03);
  assert.equal(result.modes, 2); // (0,0) twice and (1,0); (0.9,0) is too far; (.5,.5) too.
  assert.equal(result.highQuality, 3 / 5);
});

Deno.test("reverse KL is 0 for a uniform histogram and log K for one mode", () => {
  const uniform = modeCoverage(means.flat(), means, 0.1);
  assert.equal(uniform.reverseKL, 0);
  assert.equal(uniform.modes, 4);
  const collapsed = modeCoverage([0, 0, 0, 0, 0, 0], means, 0.1);
  assert.ok(Math.abs(collapsed.reverseKL - Math.log(4)) < 1e-12);
  assert.equal(collapsed.modes, 1);
});
