/**
 * gantry's wasm kernels (the optimizer updates, leaky ReLU and its gradient, tanh, sums over
 * leading axes, minibatch discrimination's closeness, matrix products) as 128-bit SIMD
 * WebAssembly, run in tfjs-backend-wasm's own memory: four float32 lanes an instruction where a
 * JavaScript loop computes in float64 and rounds every step (measured: Adam at 1.7 ns an element
 * here, 12 in JavaScript, 6.8 through tfjs's 14 kernels). The module is assembled here, byte by
 * byte, from the instruction lists below, and imports the backend's memory. Its `f32x4`
 * operations are IEEE float32, as XNNPACK's are, applied in tfjs's order, so the results are bit
 * for bit tfjs's, except two: the product fuses each multiply-add (relaxed SIMD's `relaxed_madd`,
 * x64's FMA3), one rounding a term where tfjs rounds twice, as PyTorch's BLAS does; and tanh is a
 * polynomial approximation of gantry's, where tfjs calls libm. Each elementwise function does `n4`
 * blocks of four floats; the caller does the last `n % 4` elements.
 *
 * @module
 */

/** `SimdKernels.copyRuns` and `addRuns`: byte offsets, the run count, then float counts. */
type RunsFunction = (
  runs: number,
  count: number,
  x: number,
  out: number,
  channels: number,
  fromStep: number,
  toStep: number,
) => void;

/** Byte offsets into the wasm heap, then the block count, then the float32 scalars. */
export interface SimdKernels {
  adam(
    x: number,
    g: number,
    m: number,
    v: number,
    xOut: number,
    mOut: number,
    vOut: number,
    n4: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    epsilon: number,
    step: number,
  ): void;
  momentum(
    x: number,
    g: number,
    acc: number,
    xOut: number,
    accOut: number,
    n4: number,
    c: number,
    momentum: number,
  ): void;
  sgd(x: number, g: number, xOut: number, n4: number, c: number): void;
  leakyRelu(x: number, out: number, n4: number, alpha: number): void;
  leakyReluGrad(dy: number, x: number, out: number, n4: number, alpha: number): void;
  /** out = tanh(x), within 2 ulp of the exact value (see `tanh`). */
  tanh(x: number, out: number, n4: number): void;
  /**
   * out[c] += Σ_r x[r·width + c] for c < 4·blocks, row by row in order: adds one row at a time
   * to `out` (which the caller zeroes), as a sequential float32 sum per column.
   */
  columnSums(x: number, out: number, rows: number, width: number, blocks: number): void;
  /**
   * Minibatch discrimination, over kernels b < 4·blocks, with mT = M as [n, C, B]: minus[i, j, b]
   * = −Σ_c |mT[i, c, b] − mT[j, c, b]| (c in order), into minus [n, n, B].
   */
  closenessDistances(
    mT: number,
    minus: number,
    n: number,
    kernels: number,
    dims: number,
    blocks: number,
  ): void;
  /**
   * Its gradient's two sums, as [n, C, B] (zeroed by the caller): with dd = −(dy[i, b]·e[i, j, b])
   * and g = dd when mT[i, c, b] − mT[j, c, b] > 0 else −dd, first[i, c, b] += g over j in order
   * and second[j, c, b] += g over i in order.
   */
  closenessGrad(
    mT: number,
    dy: number,
    e: number,
    first: number,
    second: number,
    n: number,
    kernels: number,
    dims: number,
    blocks: number,
  ): void;
  /**
   * c = a·b (+ bias), c [m, n] row-major with rows of `stride` elements (n for a whole product,
   * more for a block of a wider one's columns), a and b in panels (`wasm_panels.ts`): a's rows
   * four at a time, each panel [k, 4] row-major (the last padded to four), and b's columns in
   * the blocks the kernel computes (8 columns, then 4, then one at a time), each panel [k,
   * width] and at 4·k floats a column before it. Each output is the float32 sum over k in order,
   * starting from the bias when `biased` is 1 (from 0 when it is 0), as XNNPACK's fully connected
   * operator sums it, but a fused multiply-add a term: rounded once, where XNNPACK rounds the
   * product and the sum. When `biased` is 2 the sums start from c's values, so that a product
   * summed over k in parts, one call a part, gives the bits of one call over all of k.
   * On a CPU without FMA (x64 before 2013) V8 computes `relaxed_madd` as XNNPACK does, so the
   * bits depend on the machine; on one machine they are the same every run.
   */
  matMul(
    a: number,
    b: number,
    bias: number,
    c: number,
    m: number,
    n: number,
    k: number,
    biased: number,
    stride: number,
  ): void;
  /**
   * x [rows, cols] row-major transposed in blocks of 4×4, into panels of `width` rows of x (a
   * multiple of 4; `rows` for a plain transpose): panel p is [cols, width] row-major, at
   * p·width·cols floats, out[p][c][r] = x[p·width + r][c]. The first 4·⌊rows/4⌋ rows by
   * 4·⌊cols/4⌋ columns of x; the caller moves the rest.
   */
  transpose(x: number, out: number, rows: number, cols: number, width: number): void;
  /**
   * Strided runs of pixels moved from x to out, for each of `count` triples (from, to, length) of
   * int32s at `runs`, in order: element e < length of a run moves `channels` floats,
   * out[to + e·toStep + c] = x[from + e·fromStep + c] (float offsets; an im2col's rows from an
   * image), the first 4·⌊channels/4⌋ of them as vectors.
   */
  copyRuns: RunsFunction;
  /** As `copyRuns`, but out[…] += x[…] (a col2im), each in float32. */
  addRuns: RunsFunction;
  /**
   * Panels of `width` (4 or 8) columns of x [rows, ·] (rows of `stride` elements): panel p is
   * [rows, width] row-major, at p·rows·width floats, out[p][r][c] = x[r][p·width + c].
   */
  columnPanels(
    x: number,
    out: number,
    rows: number,
    panels: number,
    stride: number,
    width: number,
  ): void;
}

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

// Instructions.
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const simd = (op: number) => [0xfd, ...leb(op)];
const [splat, add, mul, div, sqrt] = [0x13, 0xe4, 0xe6, 0xe7, 0xe3].map(simd);
/** Relaxed SIMD's f32x4.relaxed_madd: a·b + c, rounded once where the CPU has FMA (x64's FMA3). */
const madd = simd(0x105);
const [lt, gt, bitselect, abs, neg, sub] = [0x43, 0x44, 0x52, 0xe0, 0xe1, 0xe5].map(simd);
const zero = [...simd(0x0c), ...Array(16).fill(0)];
const [i32Const, i32GeU, i32Add, i32Mul, i32Shl] = [0x41, 0x4f, 0x6a, 0x6c, 0x74];
/** `for (i = 0; i < n; i++) body`, with i and n locals (i starts at 0 on entry). */
// deno-fmt-ignore
const counted = (i: number, n: number, body: number[]) => [
  0x02, 0x40, 0x03, 0x40, // block, loop
  ...get(i), ...get(n), i32GeU, 0x0d, 1, // br_if 1: out of the block
  ...body,
  ...get(i), i32Const, 1, i32Add, ...set(i),
  0x0c, 0, 0x0b, 0x0b, // br 0: back to the loop; end, end
];
/** The address `base + offset` (offset: the block's byte offset, in local `off`). */
const at = (base: number, off: number) => [...get(base), ...get(off), i32Add];
/** v128.load / v128.store of the address on the stack plus `offset` (16-byte alignment hint). */
const loadAt = (offset: number) => [...simd(0x00), 4, ...leb(offset)];
const storeAt = (offset: number) => [...simd(0x0b), 4, ...leb(offset)];
const load = (base: number, off: number) => [...at(base, off), ...loadAt(0)];
const store = (base: number, off: number, value: number[]) => [
  ...at(base, off),
  ...value,
  ...storeAt(0),
];

/**
 * A function of `pointers` i32 parameters, the block count, then `scalars` f32 parameters, whose
 * body splats each scalar into a v128 local and runs `block(off, splatted)` for every block.
 */
function blockLoop(
  pointers: number,
  scalars: number,
  temps: number,
  block: (off: number, splatted: (k: number) => number, temp: (k: number) => number) => number[],
) {
  const n4 = pointers, params = pointers + 1 + scalars;
  const i = params, off = params + 1, firstSplat = params + 2, firstTemp = firstSplat + scalars;
  const type = [
    0x60,
    ...vec([...Array(pointers + 1).fill([I32]), ...Array(scalars).fill([F32])]),
    0,
  ];
  const splats = Array.from(
    { length: scalars },
    (_, k) => [...get(n4 + 1 + k), ...splat, ...set(firstSplat + k)],
  ).flat();
  const body = [
    ...vec([[...leb(2), I32], [...leb(scalars + temps), V128]]),
    ...splats,
    ...counted(i, n4, [
      ...[...get(i), i32Const, 4, i32Shl, ...set(off)], // off = 16·i
      ...block(off, (k) => firstSplat + k, (k) => firstTemp + k),
    ]),
    0x0b,
  ];
  return { type, body: [...leb(body.length), ...body] };
}

/** Every row's first `4·blocks` columns added onto `out`, rows in order (see `SimdKernels`). */
function columnSums() {
  const [x, out, rows, width, blocks, r, b, row, off] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // deno-fmt-ignore
  const body = [
    ...vec([[...leb(4), I32]]),
    ...counted(r, rows, [
      ...get(x), ...get(r), ...get(width), i32Mul, i32Const, 2, i32Shl, i32Add, ...set(row), // x + 4·r·width
      i32Const, 0, ...set(b),
      ...counted(b, blocks, [
        ...get(b), i32Const, 4, i32Shl, ...set(off), // off = 16·b
        ...store(out, off, [...load(out, off), ...load(row, off), ...add]),
      ]),
    ]),
    0x0b,
  ];
  return { type: [0x60, ...vec(Array(5).fill([I32])), 0], body: [...leb(body.length), ...body] };
}

/** See `SimdKernels.copyRuns` (`adding` false) and `addRuns` (true). */
function runs(adding: boolean) {
  const [triples, count, x, out, channels, fromStep, toStep] = [0, 1, 2, 3, 4, 5, 6];
  const [r, e, b, c, run, from, to, length, off, blocks] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  /** x or out plus 4 times the int32 at `run + offset`. */
  const floatAt = (base: number, offset: number) => [
    ...get(base),
    ...[...get(run), 0x28, 2, offset],
    ...[i32Const, 2, i32Shl, i32Add],
  ];
  // deno-fmt-ignore
  return func(7, 10, 0, [
    ...get(channels), i32Const, 2, 0x76, ...set(blocks), // channels >> 2
    ...get(fromStep), i32Const, 2, i32Shl, ...set(fromStep), // steps in bytes
    ...get(toStep), i32Const, 2, i32Shl, ...set(toStep),
    ...counted(r, count, [
      ...get(triples), ...get(r), i32Const, 12, i32Mul, i32Add, ...set(run), // triples + 12·r
      ...floatAt(x, 0), ...set(from), ...floatAt(out, 4), ...set(to),
      ...get(run), 0x28, 2, 8, ...set(length),
      ...reset(e),
      ...counted(e, length, [
        ...reset(b),
        ...counted(b, blocks, [
          ...get(b), i32Const, 4, i32Shl, ...set(off), // off = 16·b
          ...store(to, off, adding ? [...load(to, off), ...load(from, off), ...add] : load(from, off)),
        ]),
        ...get(blocks), i32Const, 2, i32Shl, ...set(c),
        ...counted(c, channels, [
          ...get(c), i32Const, 2, i32Shl, ...set(off), // off = 4·c
          ...at(to, off),
          ...(adding ? [...at(to, off), ...f32Load, ...at(from, off), ...f32Load, f32Add] : [...at(from, off), ...f32Load]),
          ...f32Store,
        ]),
        ...increase(from, fromStep), ...increase(to, toStep),
      ]),
    ]),
  ]);
}

/** A function of `params` i32 parameters with `ints` i32 and `vectors` v128 locals after them. */
function func(params: number, ints: number, vectors: number, body: number[]) {
  const locals = vec([[...leb(ints), I32], [...leb(vectors), V128]]);
  const code = [...locals, ...body, 0x0b];
  return {
    type: [0x60, ...vec(Array(params).fill([I32])), 0],
    body: [...leb(code.length), ...code],
  };
}

/** Locals a := b + i·j·k (i32), for addresses. */
const address = (a: number, b: number, ...factors: number[]) => [
  ...get(b),
  ...factors.flatMap((f, k) => (k === 0 ? get(f) : [...get(f), i32Mul])),
  i32Add,
  ...set(a),
];
const increase = (a: number, by: number) => [...get(a), ...get(by), i32Add, ...set(a)];
/** Local a += a constant below 64 (i32.const's one-byte signed LEB128). */
const bump = (a: number, by: number) => [...get(a), i32Const, by, i32Add, ...set(a)];
const reset = (...locals: number[]) => locals.flatMap((l) => [i32Const, 0, ...set(l)]);
const copy = (to: number, from: number) => [...get(from), ...set(to)];
/** The address of row r after the one in local `base`: `rows[r]` is the local of r rows' bytes. */
const plus = (base: number, rows: number[], r: number) =>
  r ? [...get(base), ...get(rows[r]), i32Add] : get(base);

/** See `SimdKernels.closenessDistances`. */
function closenessDistances() {
  const [mT, minus, n, kernels, dims, blocks] = [0, 1, 2, 3, 4, 5];
  const [i, j, q, c, off, rowI, rowJ, out, stride, ci, cj, ij, acc] = [
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
  ];
  // deno-fmt-ignore
  return func(6, 12, 1, [
    ...get(kernels), i32Const, 2, i32Shl, ...set(stride), // bytes a row of B floats
    ...counted(i, n, [
      ...address(rowI, mT, i, dims, stride),
      ...reset(j),
      ...counted(j, n, [
        ...address(rowJ, mT, j, dims, stride),
        ...get(i), ...get(n), i32Mul, ...get(j), i32Add, ...set(ij),
        ...address(out, minus, ij, stride),
        ...reset(q),
        ...counted(q, blocks, [
          ...get(q), i32Const, 4, i32Shl, ...set(off),
          ...zero, ...set(acc),
          ...copy(ci, rowI), ...copy(cj, rowJ), ...reset(c),
          ...counted(c, dims, [
            ...get(acc), ...load(ci, off), ...load(cj, off), ...sub, ...abs, ...add, ...set(acc),
            ...increase(ci, stride), ...increase(cj, stride),
          ]),
          ...store(out, off, [...get(acc), ...neg]),
        ]),
      ]),
    ]),
  ]);
}

/** See `SimdKernels.closenessGrad`. */
function closenessGrad() {
  const [mT, dy, e, first, second, n, kernels, dims, blocks] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, j, q, c, off, rowI, rowJ, eRow, dyRow, stride, ci, cj, fi, sj, fic, sjc, ij] = [
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
  ];
  const [dd, g] = [26, 27];
  // deno-fmt-ignore
  return func(9, 17, 2, [
    ...get(kernels), i32Const, 2, i32Shl, ...set(stride),
    ...counted(i, n, [
      ...address(rowI, mT, i, dims, stride),
      ...address(fi, first, i, dims, stride),
      ...address(dyRow, dy, i, stride),
      ...reset(j),
      ...counted(j, n, [
        ...address(rowJ, mT, j, dims, stride),
        ...address(sj, second, j, dims, stride),
        ...get(i), ...get(n), i32Mul, ...get(j), i32Add, ...set(ij),
        ...address(eRow, e, ij, stride),
        ...reset(q),
        ...counted(q, blocks, [
          ...get(q), i32Const, 4, i32Shl, ...set(off),
          ...load(dyRow, off), ...load(eRow, off), ...mul, ...neg, ...set(dd),
          ...copy(ci, rowI), ...copy(cj, rowJ), ...copy(fic, fi), ...copy(sjc, sj), ...reset(c),
          ...counted(c, dims, [
            ...get(dd), ...get(dd), ...neg,
            ...load(ci, off), ...load(cj, off), ...sub, ...zero, ...gt, ...bitselect, ...set(g),
            ...store(fic, off, [...load(fic, off), ...get(g), ...add]),
            ...store(sjc, off, [...load(sjc, off), ...get(g), ...add]),
            ...increase(ci, stride), ...increase(cj, stride),
            ...increase(fic, stride), ...increase(sjc, stride),
          ]),
        ]),
      ]),
    ]),
  ]);
}

/** v128.const of four equal lanes: float32, or int32 when `int`. */
const constant = (value: number, int = false) => [
  ...simd(0x0c),
  ...new Uint8Array((int ? Int32Array : Float32Array).from([value, value, value, value]).buffer),
];
const [min, nearest, truncToInt, intAdd, intShl] = [0xe8, 0x6a, 0xf8, 0xae, 0xab].map(simd);
/** p(v) = c₀ + v·(c₁ + v·(…)) by Horner's rule, v a local. */
function polynomial(v: number, coefficients: number[]) {
  const step = (c: number) => [...get(v), ...mul, ...constant(c), ...add];
  return [...constant(coefficients.at(-1)!), ...coefficients.slice(0, -1).reverse().flatMap(step)];
}
/**
 * tanh in float32 arithmetic, IEEE-defined on every machine (no fused multiply-adds): for
 * a = |x| < 0.625, a + a·a²·P(a²); above, (1 − e)/(1 + e) with e = exp(−2a) = 2ⁿ·(1 + r + r²·Q(r)),
 * n the nearest integer to −2a·log₂e and r the rest (ln 2 in two parts, the first exact in n's
 * multiples). a is cut at 9.1, past which tanh rounds to 1; the sign is x's (−0, NaN kept).
 * P and Q are least-squares fits (relative error 5·10⁻¹⁰ and 9·10⁻⁹ in float64).
 */
function tanh() {
  const P = [-0.3333333134651184, 0.133332297205925, -0.05394979566335678, 0.02171768993139267];
  P.push(-0.008220166899263859, 0.002182707889005542);
  const Q = [0.5, 0.16666540503501892, 0.041666317731142044, 0.008366395719349384];
  Q.push(0.0013942609075456858);
  const [LN2_HIGH, LN2_LOW] = [0.693359375, -2.12194440e-4];
  return blockLoop(2, 0, 6, (off, _, t) => {
    const [x, a, square, n, r, e] = [0, 1, 2, 3, 4, 5].map(t);
    // deno-fmt-ignore
    return [
      ...load(0, off), ...set(x),
      ...get(x), ...abs, ...constant(9.1), ...min, ...set(a),
      ...get(a), ...get(a), ...mul, ...set(square),
      ...get(a), ...constant(-2 * Math.LOG2E), ...mul, ...nearest, ...set(n),
      ...get(a), ...constant(-2), ...mul, ...get(n), ...constant(LN2_HIGH), ...mul, ...sub,
      ...get(n), ...constant(LN2_LOW), ...mul, ...sub, ...set(r),
      ...constant(1), ...get(r), ...add, ...get(r), ...get(r), ...mul, ...polynomial(r, Q), ...mul,
      ...add,
      ...get(n), ...truncToInt, ...constant(127, true), ...intAdd, i32Const, 23, ...intShl, // 2ⁿ
      ...mul, ...set(e),
      ...store(1, off, [
        ...get(x),
        ...get(a), ...get(a), ...get(square), ...mul, ...polynomial(square, P), ...mul, ...add,
        ...constant(1), ...get(e), ...sub, ...constant(1), ...get(e), ...add, ...div,
        ...get(a), ...constant(0.625), ...lt, ...bitselect, // a < 0.625: the polynomial
        ...constant(-0x80000000, true), ...bitselect, // x's sign bit
      ]),
    ];
  });
}

/** `while (condition) body`: `condition` leaves an i32 on the stack. */
// deno-fmt-ignore
const whileLoop = (condition: number[], body: number[]) => [
  0x02, 0x40, 0x03, 0x40, ...condition, 0x45, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b,
];
/** `if (condition) then else otherwise`, with a value of `type` (0x40: none). */
const ifElse = (condition: number[], type: number, then: number[], otherwise: number[] = []) => [
  ...condition,
  0x04,
  type,
  ...then,
  ...(otherwise.length ? [0x05, ...otherwise] : []),
  0x0b,
];
const [i32Sub, i32Eq, i32LeU, i32LtU, i32GtU] = [0x6b, 0x46, 0x4d, 0x49, 0x4b];
const [f32Load, f32Store] = [[0x2a, 2, 0], [0x38, 2, 0]];
const f32Add = 0x92;
/** `biased` for sums that start from C's values: a product summed over k in parts. */
export const SUMS_IN_C = 2;
/** v128.load32_splat of the address on the stack plus `offset`. */
const splatLoad = (offset: number) => [...simd(0x09), 2, ...leb(offset)];

/** i8x16.shuffle of two vectors by 32-bit lanes (0–3 the first vector's, 4–7 the second's). */
const lanes = (
  ...picks: number[]
) => [...simd(0x0d), ...picks.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b))];

/**
 * See `SimdKernels.matMul`. Tiles of 4 rows (then the 1–3 left) by 8 columns (then 4, then one
 * at a time), each summed over k in registers, a fused multiply-add a term: an A element is
 * splatted across the lanes and multiplied into a row of B's tile. In a 4-row tile the four A
 * elements of a k are one vector load, splatted by shuffles: Deno runs wasm without V8's trap
 * handler, so every load is bounds-checked in code, and a splat load each made six checked loads
 * a k, not three. A single column of a 4-row tile keeps its rows in the lanes: that A vector
 * times B's element. Both operands come in panels (`wasm_panels.ts`), so each k's A and B
 * values follow the last k's in memory. Blocks of columns are the outer loop, each going down
 * all the rows, so that B's block stays cached while A, a batch's rows, is read again. Each
 * tile sums all of k at once. The kernel used to sum k in chunks of 128, with the sums kept in C
 * between them, which reading A and B at their strides needed. From panels the chunks only
 * cost passes over C: without them the mlp's products ran 1.05–1.2x faster, with the same bits.
 * A tile starts from C (`SUMS_IN_C`) only for a caller that sums k in parts: the convolutions'
 * filter gradient, over parts of the pixels.
 */
function matMul() {
  const [a, b, bias, c, m, n, k, biased, stride, panelBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, jb, kk, pa, pb, paRow, pcRow, nBytes, rowBytes] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const cRows = [-1, rowBytes, 19, 20]; // bytes from row i to row i + r of C (r·rowBytes)
  const acc = (r: number, h: number) => 21 + 2 * r + h;
  const [bv, av, splatted] = [(h: number) => 29 + h, 31, 32];
  const tile = (rows: number, vectors: number) => {
    const hs = [...Array(Math.max(vectors, 1)).keys()];
    // A single column of a 4-row tile has one accumulator, its rows in the lanes.
    const inLanes = rows === 4 && !vectors;
    const rs = [...Array(inLanes ? 1 : rows).keys()];
    const biasAt = [...get(bias), ...get(jb), i32Add];
    /** The address of output (r, jb) of the tile. */
    const cAt = (r: number) => [...plus(pcRow, cRows, r), ...get(jb), i32Add];
    // deno-fmt-ignore
    const fromBias = hs.flatMap((h) => [
      ...ifElse(get(biased), V128, [...biasAt, ...(vectors ? loadAt(16 * h) : splatLoad(0))], zero),
      ...set(bv(h)),
      ...rs.flatMap((r) => [...get(bv(h)), ...set(acc(r, h))]),
    ]);
    // deno-fmt-ignore
    const fromC = inLanes
      ? [
        ...cAt(0), ...splatLoad(0),
        ...[1, 2, 3].flatMap((r) => [...cAt(r), ...f32Load, ...simd(0x20), r]), // replace_lane
        ...set(acc(0, 0)),
      ]
      : rs.flatMap((r) => hs.flatMap((h) => [
        ...cAt(r), ...(vectors ? loadAt(16 * h) : splatLoad(0)), ...set(acc(r, h)),
      ]));
    const start = ifElse([...get(biased), i32Const, SUMS_IN_C, i32Eq], 0x40, fromC, fromBias);
    /** Row r's A element of this k, splatted (in lanes: the tile's four), on the stack. */
    const aOf = (r: number) =>
      inLanes
        ? get(av)
        : rows === 4
        ? [...get(av), ...get(av), ...lanes(r, r, r, r)]
        : [...get(pa), ...splatLoad(4 * r)];
    const bAt = (h: number) => [...get(pb), ...(vectors ? loadAt(16 * h) : splatLoad(0))];
    const bRowBytes = vectors ? 16 * vectors : 4; // of B's panel: 8, 4 or 1 columns
    // deno-fmt-ignore
    const term = [
      ...hs.flatMap((h) => [...bAt(h), ...set(bv(h))]),
      ...(rows === 4 ? [...get(pa), ...loadAt(0), ...set(av)] : []),
      ...rs.flatMap((r) => [
        ...aOf(r), ...set(splatted),
        ...hs.flatMap((h) => [
          ...get(splatted), ...get(bv(h)), ...get(acc(r, h)), ...madd, ...set(acc(r, h)),
        ]),
      ]),
    ];
    /** Output (r, column) of the tile: its vector h, or one lane of a column's accumulator. */
    // deno-fmt-ignore
    const finish = [...Array(rows).keys()].flatMap((r) => hs.flatMap((h) => [
      ...cAt(r),
      ...(vectors
        ? [...get(acc(r, h)), ...storeAt(16 * h)]
        : [...get(acc(inLanes ? 0 : r, 0)), ...simd(0x1f), inLanes ? r : 0, ...f32Store]),
    ]));
    // deno-fmt-ignore
    return [
      ...start,
      // B's panel of the block's columns: at 4·k floats a column before it
      ...copy(pa, paRow), ...get(b), ...get(jb), ...get(k), i32Mul, i32Add, ...set(pb), ...reset(kk),
      ...counted(kk, k, [...term, ...bump(pa, 16), ...bump(pb, bRowBytes)]),
      ...finish,
    ];
  };
  /** Whether `width` more bytes of the row fit: jb + width ≤ nBytes. */
  // deno-fmt-ignore
  const fits = (width: number) => [
    ...get(jb), i32Const, ...leb(width), i32Add, ...get(nBytes), i32LeU,
  ];
  const left = (r: number) => [...get(m), ...get(i), i32Sub, i32Const, r, i32Eq];
  const times = (x: number, r: number) => [...get(x), i32Const, r, i32Mul];
  /** The tiles of one block of columns (8, 4 or 1 wide), down the rows: B's tile stays cached. */
  // deno-fmt-ignore
  const columnBlock = (vectors: number) => [
    ...copy(paRow, a), ...copy(pcRow, c), ...reset(i),
    ...whileLoop([...get(i), i32Const, 4, i32Add, ...get(m), i32LeU], [
      ...tile(4, vectors),
      ...get(i), i32Const, 4, i32Add, ...set(i),
      ...increase(paRow, panelBytes),
      ...get(pcRow), ...times(rowBytes, 4), i32Add, ...set(pcRow),
    ]),
    ...ifElse(left(3), 0x40, tile(3, vectors), ifElse(left(2), 0x40, tile(2, vectors), ifElse(left(1), 0x40, tile(1, vectors)))),
    ...get(jb), i32Const, ...leb(vectors ? 16 * vectors : 4), i32Add, ...set(jb),
  ];
  // deno-fmt-ignore
  return func(9, 12, 12, [
    ...get(k), i32Const, 4, i32Shl, ...set(panelBytes),
    ...get(n), i32Const, 2, i32Shl, ...set(nBytes),
    ...get(stride), i32Const, 2, i32Shl, ...set(rowBytes),
    ...times(rowBytes, 2), ...set(cRows[2]), ...times(rowBytes, 3), ...set(cRows[3]),
    ...whileLoop(fits(32), columnBlock(2)),
    ...ifElse(fits(16), 0x40, columnBlock(1)),
    ...whileLoop([...get(jb), ...get(nBytes), i32LtU], columnBlock(0)),
  ]);
}

/**
 * See `SimdKernels.transpose`. Each block: four rows loaded, interleaved in pairs, then the
 * pairs combined into four columns, each stored as a row of the output.
 */
function transpose() {
  const [x, out, rows, cols, width] = [0, 1, 2, 3, 4];
  const [rb, cb, nr, nc, pIn, pOut, panel] = [5, 6, 7, 8, 9, 10, 11];
  const inRows = [-1, 12, 13, 14]; // bytes from row r to row r + j of x (j·4·cols)
  const outRows = [-1, 15, 16, 17]; // and of the output (j·4·width)
  const [v, t] = [(j: number) => 18 + j, (j: number) => 22 + j];
  const [i32ShrU, i32DivU] = [0x76, 0x6e];
  // deno-fmt-ignore
  return func(5, 13, 8, [
    ...get(rows), i32Const, 2, i32ShrU, ...set(nr), ...get(cols), i32Const, 2, i32ShrU, ...set(nc),
    ...[1, 2, 3].flatMap((j) => [
      ...get(cols), i32Const, 4 * j, i32Mul, ...set(inRows[j]),
      ...get(width), i32Const, 4 * j, i32Mul, ...set(outRows[j]),
    ]),
    ...counted(rb, nr, [
      ...reset(cb),
      // Rows 4·rb… go to panel p = ⌊4·rb / width⌋ (its 4·width·cols floats), at row 4·rb − p·width.
      ...get(rb), i32Const, 2, i32Shl, ...get(width), i32DivU, ...set(panel),
      ...get(out), ...get(panel), ...get(width), i32Mul, ...get(inRows[1]), i32Mul, i32Add,
      ...get(rb), i32Const, 2, i32Shl, ...get(panel), ...get(width), i32Mul, i32Sub, i32Const, 2, i32Shl, i32Add,
      ...set(panel), // out + 4·p·width·cols + 4·(4·rb − p·width)
      ...counted(cb, nc, [
        ...get(x), ...get(rb), ...get(inRows[1]), i32Mul, i32Const, 2, i32Shl, i32Add,
        ...get(cb), i32Const, 4, i32Shl, i32Add, ...set(pIn), // x + 16·rb·cols + 16·cb
        ...get(panel), ...get(cb), ...get(outRows[1]), i32Mul, i32Const, 2, i32Shl, i32Add,
        ...set(pOut), // + 16·cb·width
        ...[0, 1, 2, 3].flatMap((j) => [...plus(pIn, inRows, j), ...loadAt(0), ...set(v(j))]),
        ...[0, 2].flatMap((j) => [
          ...get(v(j)), ...get(v(j + 1)), ...lanes(0, 4, 1, 5), ...set(t(j)),
          ...get(v(j)), ...get(v(j + 1)), ...lanes(2, 6, 3, 7), ...set(t(j + 1)),
        ]),
        ...[[0, 0, 0, 1, 4, 5], [1, 0, 2, 3, 6, 7], [2, 1, 0, 1, 4, 5], [3, 1, 2, 3, 6, 7]].flatMap(
          ([j, pair, ...picks]) => [
            ...plus(pOut, outRows, j), ...get(t(pair)), ...get(t(pair + 2)), ...lanes(...picks),
            ...storeAt(0),
          ],
        ),
      ]),
    ]),
  ]);
}

/**
 * See `SimdKernels.columnPanels`: row by row, x read in order, each row's pieces to their panels.
 */
function columnPanels() {
  const [x, out, rows, panels, stride, width] = [0, 1, 2, 3, 4, 5];
  const [p, r, from, to, panelBytes, pieceBytes] = [6, 7, 8, 9, 10, 11];
  // deno-fmt-ignore
  return func(6, 6, 0, [
    ...get(width), i32Const, 2, i32Shl, ...set(pieceBytes), // a row's piece in a panel
    ...get(rows), ...get(pieceBytes), i32Mul, ...set(panelBytes),
    ...counted(r, rows, [
      ...get(x), ...get(r), ...get(stride), i32Mul, i32Const, 2, i32Shl, i32Add, ...set(from),
      ...get(out), ...get(r), ...get(pieceBytes), i32Mul, i32Add, ...set(to), ...reset(p),
      ...counted(p, panels, [
        ...get(to), ...get(from), ...loadAt(0), ...storeAt(0),
        ...ifElse([...get(width), i32Const, 4, i32GtU], 0x40, [
          ...get(to), ...get(from), ...loadAt(16), ...storeAt(16),
        ]),
        ...increase(from, pieceBytes), ...increase(to, panelBytes),
      ]),
    ]),
  ]);
}

// Parameters: pointers first (as numbered in each comment), then n4, then the scalars.
// deno-fmt-ignore
const FUNCTIONS = {
  // x g m v xOut mOut vOut | a1 a2 b1 c1 b2 c2 eps step
  adam: blockLoop(7, 8, 3, (off, s, t) => [
    ...load(1, off), ...set(t(0)), // g
    ...load(2, off), ...get(s(2)), ...mul, ...get(t(0)), ...get(s(3)), ...mul, ...add,
    ...set(t(1)), // m' = m·β1 + g·(1 − β1)
    ...load(3, off), ...get(s(4)), ...mul, ...get(t(0)), ...get(t(0)), ...mul, ...get(s(5)), ...mul,
    ...add, ...set(t(2)), // v' = v·β2 + g²·(1 − β2)
    ...store(5, off, get(t(1))),
    ...store(6, off, get(t(2))),
    ...store(4, off, [ // x' = (m'/(1 − β1^t)) / (√(v'/(1 − β2^t)) + ε) · (−lr) + x
      ...get(t(1)), ...get(s(0)), ...div,
      ...get(t(2)), ...get(s(1)), ...div, ...sqrt, ...get(s(6)), ...add,
      ...div, ...get(s(7)), ...mul, ...load(0, off), ...add,
    ]),
  ]),
  // x g acc xOut accOut | c momentum
  momentum: blockLoop(5, 2, 1, (off, s, t) => [
    ...get(s(1)), ...load(2, off), ...mul, ...load(1, off), ...add, ...set(t(0)), // acc' = μ·acc + g
    ...store(4, off, get(t(0))),
    ...store(3, off, [...get(s(0)), ...get(t(0)), ...mul, ...load(0, off), ...add]), // c·acc' + x
  ]),
  // x g xOut | c
  sgd: blockLoop(3, 1, 0, (off, s) => [
    ...store(2, off, [...get(s(0)), ...load(1, off), ...mul, ...load(0, off), ...add]), // c·g + x
  ]),
  // x out rows width blocks
  columnSums: columnSums(),
  // mT minus n kernels dims blocks; mT dy e first second n kernels dims blocks
  closenessDistances: closenessDistances(),
  closenessGrad: closenessGrad(),
  // a b bias c m n k biased stride
  matMul: matMul(),
  // x out rows cols width
  transpose: transpose(),
  // x out rows panels stride width
  columnPanels: columnPanels(),
  // runs count x out channels fromStep toStep
  copyRuns: runs(false),
  addRuns: runs(true),
  // x out | alpha: x < 0 ? x·α : x, as tfjs-backend-wasm's LeakyRelu
  leakyRelu: blockLoop(2, 1, 1, (off, s, t) => [
    ...load(0, off), ...set(t(0)),
    ...store(1, off, [
      ...get(t(0)), ...get(s(0)), ...mul, ...get(t(0)), ...get(t(0)), ...zero, ...lt, ...bitselect,
    ]),
  ]),
  // x out
  tanh: tanh(),
  // dy x out | alpha: x > 0 ? dy : dy·α, as tfjs's where(greater(x, 0), dy, mul(dy, α))
  leakyReluGrad: blockLoop(3, 1, 1, (off, s, t) => [
    ...load(0, off), ...set(t(0)),
    ...store(2, off, [
      ...get(t(0)), ...get(t(0)), ...get(s(0)), ...mul, ...load(1, off), ...zero, ...gt, ...bitselect,
    ]),
  ]),
};

/** The module's bytes, importing `env.memory` (shared when the backend's memory is). */
export function simdModuleBytes(shared: boolean): Uint8Array {
  const names = Object.keys(FUNCTIONS);
  const functions = Object.values(FUNCTIONS);
  const limits = shared ? [0x03, 0, ...leb(65536)] : [0x00, 0];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(functions.map((f) => f.type))),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])),
    ...section(3, vec(functions.map((_, k) => leb(k)))),
    ...section(7, vec(names.map((n, k) => [...name(n), 0x00, ...leb(k)]))),
    ...section(10, vec(functions.map((f) => f.body))),
  ]);
}

/** A call of one of the module's functions: its name, then its arguments. */
export type SimdCall = [keyof SimdKernels, ...number[]];

/** Makes the call with `kernels`. */
export function callSimd(kernels: SimdKernels, [name, ...args]: SimdCall): void {
  (kernels[name] as (...args: number[]) => void)(...args);
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The kernels, instantiated once per memory. */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  let updates = instances.get(memory);
  if (!updates) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(simdModuleBytes(shared) as BufferSource);
    updates = new WebAssembly.Instance(module, { env: { memory } })
      .exports as unknown as SimdKernels;
    instances.set(memory, updates);
  }
  return updates;
}
