/**
 * The layout gantry's product kernel (`SimdKernels.matMul`) reads its operands in: panels, each
 * the k terms of a few of A's rows or B's columns one after another, so that the kernel reads
 * both in order. Read where they are stored, a tile's four A values of a k are a row of aᵀ (m
 * floats on from the last) and B's eight a row of B (n floats on): a weight matrix just written
 * by the previous kernel, 1.6 MB at 2 KB a step, made the kernel wait on memory (64×784·784×512
 * from cold operands at 10.9 G multiply-adds/s here, 17.6 from panels; `bench/RESULTS.md`). A
 * product writes both operands' panels first, one pass over each, which also takes the place of
 * the transposes a transposed operand needed.
 *
 * Both operands are panels of a matrix L [k, N] (B itself; for A, aᵀ), stored either as L or
 * as Lᵀ, row-major: A's panels are 4 columns of L wide (the last padded to 4), B's 8, then one
 * of 4, then one each (the blocks the kernel computes), each [k, width] row-major and at 4·k
 * floats a column before it.
 *
 * @module
 */
import { callSimd, type SimdCall, type SimdKernels } from "./wasm_simd.ts";

/** How a matrix is stored: as L [k, N] itself, or as Lᵀ [N, k]; row-major either way. */
export type Stored = "as is" | "transposed";

/** A run of `count` panels from column `first`, `width` columns each, rows of `pad` floats. */
interface Run {
  first: number;
  width: number;
  count: number;
  pad: number;
}

/** A's panels for m rows: 4 wide, the last (m % 4 rows) padded to 4. */
const aRuns = (m: number): Run[] => [
  { first: 0, width: 4, count: m >> 2, pad: 4 },
  { first: m & ~3, width: m & 3, count: 1, pad: 4 },
];

/** B's panels for n columns: 8 wide, then one of 4 if 4 are left, then one a column. */
const bRuns = (n: number): Run[] => [
  { first: 0, width: 8, count: n >> 3, pad: 8 },
  { first: n >> 3 << 3, width: 4, count: (n >> 2) & 1, pad: 4 },
  { first: n & ~3, width: 1, count: n & 3, pad: 1 },
];

/** Floats that A's panels take for m rows and k terms. */
export const aPanelsSize = (m: number, k: number) => 4 * Math.ceil(m / 4) * k;

/** Panels `[p0, p1)` of a run: their SIMD call, and how many of each panel's k terms it writes. */
function runCall(
  { first, width }: Run,
  [from, to]: [number, number],
  [k, columns]: [number, number],
  stored: Stored,
  [p0, p1]: [number, number],
): { call?: SimdCall; done: number } {
  if (width < 4) return { done: 0 };
  const [column, panel] = [first + p0 * width, 4 * ((to >> 2) + (first + p0 * width) * k)];
  return stored === "as is"
    ? { call: ["columnPanels", from + 4 * column, panel, k, p1 - p0, columns, width], done: k }
    : {
      call: ["transpose", from + 4 * column * k, panel, width * (p1 - p0), k, width],
      done: k & ~3,
    };
}

/** The panels of a run that hold columns [first, end). */
const panelsOf = ({ first, width, count }: Run, [c0, c1]: [number, number]): [number, number] => [
  Math.max(0, Math.ceil((c0 - first) / width)),
  Math.min(count, Math.floor((c1 - first) / width)),
];

/**
 * Writes the panels of an operand's L [k, columns] (for A, aᵀ: columns = m) from `from` (byte
 * offsets on `heap`) into `to`: "as is" when the operand is held as L (B [k, n], or A held as aᵀ
 * for a gradient's aᵀ·b), "transposed" when held as Lᵀ (A [m, k], or B held as bᵀ for a·bᵀ).
 * Only the panels of columns [first, end) when given (B's, from a multiple of 8). The runs of 4 or
 * 8 columns go in SIMD, the columns and terms past them here.
 */
export function writePanels(
  operand: "a" | "b",
  kernels: SimdKernels,
  heap: Float32Array,
  [from, to]: [number, number],
  [k, columns]: [number, number],
  stored: Stored,
  range: [number, number] = [0, columns],
) {
  if (range[0] % 8 || (range[1] % 8 && range[1] !== columns)) {
    throw new Error(`panels of columns [${range}]: not whole blocks of 8 of ${columns} columns`);
  }
  const source = from >> 2, target = to >> 2;
  /** L[t][j], where it is stored. */
  const element = stored === "as is"
    ? (t: number, j: number) => heap[source + t * columns + j]
    : (t: number, j: number) => heap[source + j * k + t];
  for (const run of (operand === "a" ? aRuns : bRuns)(columns)) {
    const { first, width, count, pad } = run;
    if (!width || !count) continue;
    const [p0, p1] = panelsOf(run, range);
    if (p0 >= p1) continue;
    const { call, done } = runCall(run, [from, to], [k, columns], stored, [p0, p1]);
    if (call) callSimd(kernels, call);
    const start = target + first * k;
    for (let p = p0; p < p1; p++) {
      const panel = start + p * pad * k;
      for (let t = done; t < k; t++) {
        for (let c = 0; c < width; c++) {
          heap[panel + t * pad + c] = element(t, first + p * width + c);
        }
      }
    }
  }
}

/**
 * The SIMD call that writes B's panels of columns [first, end) (whole blocks of 8) in one go, or
 * undefined where SIMD leaves terms to JavaScript (B held transposed, k not a multiple of 4): a
 * worker thread writes its own columns' panels with it (`wasm_product_pool.ts`).
 */
export function bPanelsCall(
  [from, to]: [number, number],
  [k, n]: [number, number],
  stored: Stored,
  [first, end]: [number, number],
): SimdCall | undefined {
  const run = bRuns(n)[0];
  const { call, done } = runCall(run, [from, to], [k, n], stored, panelsOf(run, [first, end]));
  return done === k ? call : undefined;
}
