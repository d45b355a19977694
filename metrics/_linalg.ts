/**
 * Float64 linear algebra for the Fréchet distance, in plain JS: means and covariances of
 * feature sets, the eigendecomposition of symmetric matrices (cyclic Jacobi) and the trace of
 * the square root of a product of two covariances. Matrices are row-major Float64Arrays.
 *
 * @module
 */

/** A square matrix, row-major. */
export interface Matrix {
  n: number;
  data: Float64Array;
}

/** The mean [d] and sample covariance [d, d] (divided by n - 1) of n rows of d values. */
export function meanAndCovariance(
  rows: ArrayLike<number>,
  d: number,
): { mean: Float64Array; covariance: Matrix } {
  const n = rows.length / d;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(`Cannot fit a Gaussian to ${rows.length / d} rows: it needs at least 2`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const covariance = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = rows[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) {
      const cj = centred[j];
      if (cj === 0) continue;
      const row = j * d;
      for (let k = j; k < d; k++) covariance[row + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      const value = covariance[j * d + k] / (n - 1);
      covariance[j * d + k] = value;
      covariance[k * d + j] = value;
    }
  }
  return { mean, covariance: { n: d, data: covariance } };
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations: `vectors`
 * holds the eigenvector of `values[i]` in column i, so A = V diag(values) Vᵀ.
 */
export function symmetricEigen(a: Matrix): { values: Float64Array; vectors: Matrix } {
  const n = a.n;
  const m = Float64Array.from(a.data);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += m[i] * m[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // Numerical Recipes' rotation: tan of the angle that zeroes a_pq, the smaller root.
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: { n, data: v } };
}

/** The product of two square matrices. */
export function multiply(a: Matrix, b: Matrix): Matrix {
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b.data[k * n + j];
    }
  }
  return { n, data: out };
}

/**
 * The square root of a symmetric positive semi-definite matrix, V diag(√λ) Vᵀ; eigenvalues
 * below zero (rounding) count as zero.
 */
export function sqrtPsd(a: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(a);
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(values[k], 0));
    if (root === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors.data[i * n + k] * root;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors.data[j * n + k];
    }
  }
  return { n, data: out };
}

/**
 * Tr((Σ1 Σ2)^{1/2}) for covariances Σ1, Σ2: Σ1Σ2 is similar to the symmetric PSD matrix
 * √Σ1 Σ2 √Σ1, so the trace is the sum of the square roots of that matrix's eigenvalues
 * (tiny negative ones, from rounding, count as zero).
 */
export function traceSqrtProduct(a: Matrix, b: Matrix): number {
  const root = sqrtPsd(a);
  const product = multiply(multiply(root, b), root);
  const n = a.n;
  // Symmetrise away the rounding of the products before Jacobi, which assumes symmetry.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const mean = (product.data[i * n + j] + product.data[j * n + i]) / 2;
      product.data[i * n + j] = mean;
      product.data[j * n + i] = mean;
    }
  }
  return symmetricEigen(product).values.reduce(
    (sum, value) => sum + Math.sqrt(Math.max(value, 0)),
    0,
  );
}

/**
 * The Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2):
 * ||μ1 - μ2||² + Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^{1/2}), at least 0.
 */
export function frechetDistance(
  mean1: ArrayLike<number>,
  covariance1: Matrix,
  mean2: ArrayLike<number>,
  covariance2: Matrix,
): number {
  const n = covariance1.n;
  if (covariance2.n !== n || mean1.length !== n || mean2.length !== n) {
    throw new RangeError(
      `Cannot compare Gaussians of dimensions ${mean1.length} and ${mean2.length} ` +
        `(covariances ${n}×${n} and ${covariance2.n}×${covariance2.n})`,
    );
  }
  let distance = 0;
  for (let i = 0; i < n; i++) {
    distance += (mean1[i] - mean2[i]) ** 2 + covariance1.data[i * n + i] +
      covariance2.data[i * n + i];
  }
  return Math.max(0, distance - 2 * traceSqrtProduct(covariance1, covariance2));
}
