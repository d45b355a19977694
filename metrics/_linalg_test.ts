import assert from "node:assert/strict";
import { createRng } from "../core/contract/rng.ts";
import {
  frechetDistance,
  type Matrix,
  meanAndCovariance,
  multiply,
  sqrtPsd,
  symmetricEigen,
  traceSqrtProduct,
} from "./_linalg.ts";

const matrix = (rows: number[][]): Matrix => ({
  n: rows.length,
  data: Float64Array.from(rows.flat()),
});
const diagonal = (values: number[]): Matrix =>
  matrix(values.map((v, i) => values.map((_, j) => (i === j ? v : 0))));
const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${actual} is not ${expected}`,
  );

/** A random symmetric positive semi-definite matrix B Bᵀ of rank `rank`. */
function randomPsd(n: number, rank: number, seed: number): Matrix {
  const rng = createRng(seed);
  const b = Array.from({ length: n }, () => Array.from({ length: rank }, () => rng.normal()));
  return matrix(b.map((row) => b.map((other) => row.reduce((s, v, k) => s + v * other[k], 0))));
}

Deno.test("Jacobi eigendecomposition rebuilds a symmetric matrix with orthonormal vectors", () => {
  for (const [n, seed] of [[1, 1], [2, 2], [5, 3], [40, 4]]) {
    const a = randomPsd(n, n, seed);
    // Make it indefinite too: A - 2I.
    for (let i = 0; i < n; i++) a.data[i * n + i] -= 2;
    const { values, vectors } = symmetricEigen(a);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += vectors.data[i * n + k] * values[k] * vectors.data[j * n + k];
          dot += vectors.data[k * n + i] * vectors.data[k * n + j];
        }
        close(rebuilt, a.data[i * n + j], 1e-10);
        close(dot, i === j ? 1 : 0, 1e-12);
      }
    }
  }
});

Deno.test("eigenvalues of a 2×2 matrix by hand: [[2, 1], [1, 2]] has 3 and 1", () => {
  const values = [...symmetricEigen(matrix([[2, 1], [1, 2]])).values].sort();
  close(values[0], 1);
  close(values[1], 3);
});

Deno.test("sqrtPsd squares back, and a rank-deficient matrix's root is finite", () => {
  for (const rank of [6, 3]) {
    const a = randomPsd(6, rank, 7 + rank);
    const root = sqrtPsd(a);
    const square = multiply(root, root);
    for (let i = 0; i < 36; i++) close(square.data[i], a.data[i], 1e-8);
  }
});

Deno.test("Fréchet distance of diagonal Gaussians is Σ(μ1-μ2)² + Σ(√a - √b)²", () => {
  const mean1 = [0, 1, -2];
  const mean2 = [1, 1, 0.5];
  const a = [4, 0.25, 9];
  const b = [1, 1, 0];
  const expected = [1, 0, 6.25].reduce((s, v) => s + v, 0) +
    a.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(b[i])) ** 2, 0);
  close(frechetDistance(mean1, diagonal(a), mean2, diagonal(b)), expected);
});

Deno.test("Fréchet distance of a 2×2 non-diagonal case, computed by hand", () => {
  // Σ1 = [[2, 1], [1, 2]], Σ2 = I: √Σ1 Σ2 √Σ1 = Σ1, eigenvalues 3 and 1,
  // so FD = Tr Σ1 + Tr I - 2 (√3 + 1) = 4 - 2√3.
  const s1 = matrix([[2, 1], [1, 2]]);
  close(frechetDistance([0, 0], s1, [0, 0], diagonal([1, 1])), 4 - 2 * Math.sqrt(3));
  // Σ2 = diag(1, 4): Σ1Σ2 = [[2, 4], [1, 8]], trace 10, determinant 12; for a 2×2 matrix with
  // positive eigenvalues Tr √M = √(Tr M + 2 √det M) = √(10 + 4√3). With μ1 - μ2 = (1, 2):
  // FD = 5 + 4 + 5 - 2 √(10 + 4√3).
  const s2 = diagonal([1, 4]);
  close(traceSqrtProduct(s1, s2), Math.sqrt(10 + 4 * Math.sqrt(3)));
  close(frechetDistance([1, 2], s1, [0, 0], s2), 14 - 2 * Math.sqrt(10 + 4 * Math.sqrt(3)));
});

Deno.test("Fréchet distance of a Gaussian with itself is 0, also for singular covariances", () => {
  for (const rank of [10, 4]) {
    const s = randomPsd(10, rank, rank);
    const mean = Array.from({ length: 10 }, (_, i) => i / 3);
    const distance = frechetDistance(mean, s, mean, s);
    assert.ok(distance >= 0 && distance < 1e-6, `distance ${distance}`);
  }
});

Deno.test("mean and covariance divide by n - 1", () => {
  const { mean, covariance } = meanAndCovariance([1, 2, 3, 6, 5, 10], 2);
  assert.deepEqual([...mean], [3, 6]);
  assert.deepEqual([...covariance.data], [4, 8, 8, 16]);
  assert.throws(() => meanAndCovariance([1, 2], 2), /at least 2/);
});
