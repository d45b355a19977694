/**
 * Sample-based measures of how two sets of feature rows overlap: k-nearest-neighbour manifolds
 * (improved precision and recall; density and coverage) and the kernel inception distance. Rows
 * are flat row-major arrays of `width` numbers each; the arithmetic is in float64.
 *
 * @module
 */
import type { Rng } from "../core/contract/rng.ts";

/** A set of feature rows. */
export interface Rows {
  values: ArrayLike<number>;
  width: number;
}

const count = (rows: Rows) => rows.values.length / rows.width;

function squaredDistance(a: Rows, i: number, b: Rows, j: number): number {
  let sum = 0;
  for (let d = 0; d < a.width; d++) {
    const gap = a.values[i * a.width + d] - b.values[j * b.width + d];
    sum += gap * gap;
  }
  return sum;
}

/**
 * Each row's squared distance to its k-th nearest other row of the same set: the radius of its
 * ball in the k-NN estimate of the set's manifold.
 */
export function kthNeighbourRadii(rows: Rows, k: number): Float64Array {
  const n = count(rows);
  if (n <= k) throw new RangeError(`k-NN radii need more than k = ${k} rows, got ${n}`);
  const radii = new Float64Array(n);
  const distances = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < n; j++) if (j !== i) distances[m++] = squaredDistance(rows, i, rows, j);
    radii[i] = distances.sort()[k - 1];
  }
  return radii;
}

/** How many of the `balls` (rows with radii) contain each query row, per query row. */
function ballsContaining(queries: Rows, balls: Rows, radii: Float64Array): Int32Array {
  const inside = new Int32Array(count(queries));
  for (let q = 0; q < inside.length; q++) {
    for (let b = 0; b < radii.length; b++) {
      if (squaredDistance(queries, q, balls, b) <= radii[b]) inside[q]++;
    }
  }
  return inside;
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): precision is the fraction of fake
 * rows inside the real manifold (the union of each real row's ball to its k-th nearest real
 * neighbour), recall the fraction of real rows inside the fake manifold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { precisionRecall } from "./_manifold.ts";
 *
 * const real = { values: [0, 1, 2, 3], width: 1 };
 * const fake = { values: [0.5, 1.5, 10, 11], width: 1 };
 * assert.deepEqual(precisionRecall(real, fake, 1), { precision: 0.5, recall: 0.75 });
 * ```
 */
export function precisionRecall(
  real: Rows,
  fake: Rows,
  k: number,
): { precision: number; recall: number } {
  const fraction = (queries: Rows, balls: Rows) => {
    const inside = ballsContaining(queries, balls, kthNeighbourRadii(balls, k));
    return inside.reduce((sum, c) => sum + (c > 0 ? 1 : 0), 0) / inside.length;
  };
  return { precision: fraction(fake, real), recall: fraction(real, fake) };
}

/**
 * Density and coverage (Naeem et al. 2020) on the real rows' k-NN balls: density is the mean
 * number of real balls a fake row is in, divided by k (1 when fakes are distributed as reals);
 * coverage the fraction of real balls holding at least one fake row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { densityCoverage } from "./_manifold.ts";
 *
 * const real = { values: [0, 1, 2, 3], width: 1 };
 * const fake = { values: [1.5, 10], width: 1 };
 * // 1.5 is in the balls of 1 and 2 (radius 1): density 2 / (1 · 2); coverage 2 of 4.
 * assert.deepEqual(densityCoverage(real, fake, 1), { density: 1, coverage: 0.5 });
 * ```
 */
export function densityCoverage(
  real: Rows,
  fake: Rows,
  k: number,
): { density: number; coverage: number } {
  const radii = kthNeighbourRadii(real, k);
  const inside = ballsContaining(fake, real, radii);
  const density = inside.reduce((a, b) => a + b, 0) / (k * inside.length);
  let covered = 0;
  for (let r = 0; r < radii.length; r++) {
    for (let f = 0; f < count(fake); f++) {
      if (squaredDistance(real, r, fake, f) <= radii[r]) {
        covered++;
        break;
      }
    }
  }
  return { density, coverage: covered / radii.length };
}

/** The cubic polynomial kernel of KID, (xᵀy / width + 1)³. */
function kernel(a: Rows, i: number, b: Rows, j: number): number {
  let dot = 0;
  for (let d = 0; d < a.width; d++) dot += a.values[i * a.width + d] * b.values[j * b.width + d];
  return (dot / a.width + 1) ** 3;
}

/** The unbiased MMD² between two sets of rows (indices into `real` and `fake`) with KID's kernel. */
export function unbiasedMmd2(real: Rows, fake: Rows, r: number[], f: number[]): number {
  let xx = 0, yy = 0, xy = 0;
  for (const i of r) for (const j of r) if (i !== j) xx += kernel(real, i, real, j);
  for (const i of f) for (const j of f) if (i !== j) yy += kernel(fake, i, fake, j);
  for (const i of r) for (const j of f) xy += kernel(real, i, fake, j);
  const m = r.length, n = f.length;
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
}

/**
 * The kernel inception distance (Bińkowski et al. 2018): the unbiased MMD² with the cubic
 * polynomial kernel, on `subsets` random subsets of `size` rows of each set (drawn with `rng`),
 * as mean and sample standard deviation.
 */
export function kernelDistance(
  real: Rows,
  fake: Rows,
  subsets: number,
  size: number,
  rng: Rng,
): { mean: number; std: number } {
  const pick = (n: number) => {
    // The first `size` of a partial Fisher-Yates shuffle: a subset without repeats.
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const j = i + rng.int(n - i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice(0, size);
  };
  const values = Array.from(
    { length: subsets },
    () => unbiasedMmd2(real, fake, pick(count(real)), pick(count(fake))),
  );
  const mean = values.reduce((a, b) => a + b, 0) / subsets;
  const variance = subsets > 1
    ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (subsets - 1)
    : 0;
  return { mean, std: Math.sqrt(variance) };
}
