/**
 * A fast `Conv2DBackpropInput` for the wasm backend. tfjs-backend-wasm 4.22's own kernel is a
 * plain loop: 300 ms per call for DCGAN's 7×7×128 → 14×14×64 transposed convolution, 88% of a
 * DCGAN training step. It is the forward op of conv2dTranspose and the input gradient of conv2d.
 *
 * A transposed convolution is a stride-1 convolution of the output gradient, spread out with
 * stride − 1 zeros between its elements and padded, with the filter turned by 180° and its
 * channel axes swapped. That convolution runs on wasm's XNNPACK Conv2D. For equal strides s > 1
 * the zeros are skipped instead (sub-pixel convolution): output rows h with
 * (h + padTop) mod s = p only meet filter rows p, p + s, ..., so each of the s² phases is a small
 * stride-1 convolution of dy itself, and DepthToSpace interleaves the phases. Same arithmetic as
 * the direct loop, 4x less than the spread form at stride 2. Measured for DCGAN's 7×7×128 →
 * 14×14×64 at batch 64: 300 ms for wasm's loop, 250 ms spread, 118 ms by phases with wasm's
 * StridedSlice, Reverse and Transpose cutting each phase's taps (25 ms) and its Concat,
 * DepthToSpace and Slice interleaving the phases (39 ms), 55 ms with both done by one pass of
 * JavaScript over the heap each (plain copies, so the same numbers): the four convolutions, the
 * arithmetic, take 50.
 *
 * XNNPACK computes 8 output channels at a time, so a transposed convolution to fewer than
 * {@linkcode FEW_CHANNELS} channels (DCGAN's last layer, to 1 channel, and conv2d's input
 * gradient from such an image) wastes most of each: 25 ms for DCGAN's 14×14×64 → 28×28×1 at batch
 * 64, 0.8 GMAC/s. Those run as one matrix product instead, dy [N·OH·OW, Co] by the filter as
 * [KH·KW·Ci, Co] transposed, on gantry's product kernel (`wasm_matmul.ts`), whose columns each
 * tap's contribution is, added into place (col2im): 5 ms there. Each output element sums its
 * contributions by dy pixel, then tap, in order.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import {
  type ConvGradientAttrs,
  type KernelFunc as WasmKernelFunc,
  onHeap,
} from "./wasm_kernel.ts";
import { OWN_PRODUCT } from "./wasm_matmul.ts";
import { eachWindowTap } from "./conv_windows.ts";

/** A kernel function that returns one tensor. */
type KernelFunc = (...args: Parameters<WasmKernelFunc>) => tf.TensorInfo;

interface Conv2DBackpropInputAttrs extends ConvGradientAttrs {
  inputShape: [number, number, number, number];
}

/** Output channels below which a transposed convolution runs as one product and col2im. */
export const FEW_CHANNELS = 4;

/**
 * Makes the kernel function from wasm's own Reshape, PadV2, Slice, Reverse, Transpose, Conv2D,
 * and the BatchMatMul registered when it is made (gantry's, `wasm_kernels.ts`).
 */
export function makeConv2DBackpropInput(kernel: (name: string) => WasmKernelFunc): KernelFunc {
  const [reshape, pad, slice, reverse, transpose, conv2d, product] = [
    "Reshape",
    "PadV2",
    "Slice",
    "Reverse",
    "Transpose",
    "Conv2D",
    "BatchMatMul",
  ].map((name) => kernel(name) as KernelFunc);
  return backpropInput;

  function backpropInput(
    { inputs, backend, attrs }: Parameters<KernelFunc>[0],
  ): tf.TensorInfo {
    const { strides, pad: padding, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as Conv2DBackpropInputAttrs;
    if (dataFormat === "NCHW") {
      throw new Error("Conv2DBackpropInput on wasm (gantry's kernel) supports only NHWC data");
    }
    const { dy, filter } = inputs;
    const [kh, kw] = filter.shape as number[];
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      padding,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const [n, oh, ow, co] = dy.shape as number[];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const temporaries: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);
    try {
      const ci = inputShape[3];
      if (ci < FEW_CHANNELS && n * oh * ow * co * kh * kw * ci <= OWN_PRODUCT) {
        return byProduct({ dy, filter, backend, info, inputShape, keep });
      }
      if (sh === sw && sh > 1 && kh >= sh && kw >= sw) {
        return phases({ dy, filter, backend, info, inputShape, keep });
      }
      // Spread dy: rows, then columns, each a rank-4 pad of a new unit axis (wasm's fast path).
      let spread = dy;
      if (sh > 1) {
        const rows = keep(
          reshape({ inputs: { x: spread }, backend, attrs: { shape: [n, oh, 1, ow * co] } }),
        );
        const padded = keep(pad({
          inputs: { x: rows },
          backend,
          attrs: { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 },
        }));
        spread = keep(
          reshape({ inputs: { x: padded }, backend, attrs: { shape: [n, oh * sh, ow, co] } }),
        );
      }
      if (sw > 1) {
        const columns = keep(
          reshape({ inputs: { x: spread }, backend, attrs: { shape: [n * oh * sh, ow, 1, co] } }),
        );
        const padded = keep(pad({
          inputs: { x: columns },
          backend,
          attrs: { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 },
        }));
        spread = keep(
          reshape({ inputs: { x: padded }, backend, attrs: { shape: [n, oh * sh, ow * sw, co] } }),
        );
      }
      // Output row h sums spread rows h + top' - (kh - 1) .. h + top': pad so that a valid
      // stride-1 convolution yields exactly the input's height and width (crop where negative).
      const [, height, width] = inputShape;
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      const bottom = height + kh - 1 - top - oh * sh;
      const right = width + kw - 1 - left - ow * sw;
      let framed = keep(pad({
        inputs: { x: spread },
        backend,
        attrs: {
          paddings: [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [
            Math.max(left, 0),
            Math.max(right, 0),
          ], [0, 0]],
          constantValue: 0,
        },
      }));
      if (Math.min(top, bottom, left, right) < 0) {
        framed = keep(slice({
          inputs: { x: framed },
          backend,
          attrs: {
            begin: [0, Math.max(-top, 0), Math.max(-left, 0), 0],
            size: [n, height + kh - 1, width + kw - 1, co],
          },
        }));
      }
      const turned = keep(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
      const swapped = keep(
        transpose({ inputs: { x: turned }, backend, attrs: { perm: [0, 1, 3, 2] } }),
      );
      return conv2d({
        inputs: { x: framed, filter: swapped },
        backend,
        attrs: { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] },
      });
    } finally {
      for (const t of temporaries) if (t !== dy) backend.disposeData(t.dataId);
    }
  }

  /**
   * dx from taps = dy·filterᵀ ([N·OH·OW, KH·KW·Ci]): tap (kh, kw) of dy pixel (oh, ow) adds its
   * Ci values to dx pixel (oh·sh + kh − top, ow·sw + kw − left) where that is inside dx.
   */
  function byProduct({ dy, filter, backend, info, inputShape, keep }: FormArgs): tf.TensorInfo {
    const [kh, kw, ci, co] = filter.shape as number[];
    const [n, oh, ow] = dy.shape as number[];
    const rows = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [n * oh * ow, co] } }));
    const weights = keep(
      reshape({ inputs: { x: filter }, backend, attrs: { shape: [kh * kw * ci, co] } }),
    );
    const taps = keep(product({
      inputs: { a: rows, b: weights },
      backend,
      attrs: { transposeA: false, transposeB: true },
    }));
    const { outputs: [output], out: [dx], view } = onHeap(backend, [inputShape]);
    dx.fill(0);
    const from = view(taps);
    eachWindowTap(info, (image, column) => {
      for (let c = 0; c < ci; c++) dx[image + c] += from[column + c];
    });
    return output;
  }

  /** The sub-pixel form for equal strides: one convolution per output phase, interleaved. */
  function phases({ dy, filter, backend, info, inputShape, keep }: FormArgs): tf.TensorInfo {
    const [kh, kw] = filter.shape as number[];
    const [n, oh, ow] = dy.shape as number[];
    const s = info.strideHeight;
    const [, height, width] = inputShape;
    const { top, left } = info.padInfo;
    // Phase p of an axis computes output rows q·s + p − pad for q in [first, last].
    const first = [Math.floor(top / s), Math.floor(left / s)];
    const last = [Math.ceil((height + top) / s) - 1, Math.ceil((width + left) / s) - 1];
    const outputs: tf.TensorInfo[] = [];
    for (let ph = 0; ph < s; ph++) {
      for (let pw = 0; pw < s; pw++) {
        const [jh, jw] = [Math.ceil((kh - ph) / s), Math.ceil((kw - pw) / s)];
        const kernel = keep(phaseTaps(filter, backend, [ph, pw], s, [jh, jw]));
        // dy rows q − (J − 1) .. q for every q: pad (or crop) dy to exactly those rows.
        const edges = [
          [jh - 1 - first[0], last[0] - (oh - 1)],
          [jw - 1 - first[1], last[1] - (ow - 1)],
        ];
        let x = keep(pad({
          inputs: { x: dy },
          backend,
          attrs: {
            paddings: [[0, 0], ...edges.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)]), [0, 0]],
            constantValue: 0,
          },
        }));
        if (edges.flat().some((e) => e < 0)) {
          x = keep(slice({
            inputs: { x },
            backend,
            attrs: {
              begin: [0, Math.max(-edges[0][0], 0), Math.max(-edges[1][0], 0), 0],
              size: [n, last[0] - first[0] + jh, last[1] - first[1] + jw, -1],
            },
          }));
        }
        outputs.push(keep(conv2d({
          inputs: { x, filter: kernel },
          backend,
          attrs: { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] },
        })));
      }
    }
    return interleave(outputs, backend, s, [height, width], [
      top - first[0] * s,
      left - first[1] * s,
    ]);
  }
}

/** What the kernel's two forms (by product, by phases) take. */
interface FormArgs {
  dy: tf.TensorInfo;
  filter: tf.TensorInfo;
  backend: tf.KernelBackend;
  info: tf.backend_util.Conv2DInfo;
  inputShape: number[];
  keep: (t: tf.TensorInfo) => tf.TensorInfo;
}

/**
 * Filter rows ph, ph + s, ... and columns pw, pw + s, ... of `filter` [KH, KW, A, B], turned
 * around, channels swapped: [Jh, Jw, B, A], one phase's taps.
 */
function phaseTaps(
  filter: tf.TensorInfo,
  backend: tf.KernelBackend,
  [ph, pw]: number[],
  s: number,
  [jh, jw]: number[],
): tf.TensorInfo {
  const [, kw, a, b] = filter.shape;
  const { outputs: [taps], out: [to], view } = onHeap(backend, [[jh, jw, b, a]]);
  const from = view(filter);
  for (let i = 0; i < jh; i++) {
    for (let j = 0; j < jw; j++) {
      const source = ((ph + s * (jh - 1 - i)) * kw + pw + s * (jw - 1 - j)) * a * b;
      const target = (i * jw + j) * b * a;
      for (let x = 0; x < a; x++) {
        for (let y = 0; y < b; y++) to[target + y * a + x] = from[source + x * b + y];
      }
    }
  }
  return taps;
}

/**
 * The output [N, height, width, C] from the s² phase outputs [N, H', W', C] (phase ph·s + pw
 * holds rows q·s + ph and columns r·s + pw, counted from `origin`): DepthToSpace of their
 * concatenation, then a crop, in one pass.
 */
function interleave(
  phases: tf.TensorInfo[],
  backend: tf.KernelBackend,
  s: number,
  [height, width]: number[],
  [top, left]: number[],
): tf.TensorInfo {
  const [n, rows, columns, c] = phases[0].shape;
  const { outputs: [output], out: [to], view } = onHeap(backend, [[n, height, width, c]]);
  const from = phases.map(view);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < height; y++) {
      const [q, ph] = [Math.floor((y + top) / s), (y + top) % s];
      for (let x = 0; x < width; x++) {
        const [r, pw] = [Math.floor((x + left) / s), (x + left) % s];
        const source = ((b * rows + q) * columns + r) * c;
        const target = ((b * height + y) * width + x) * c;
        const phase = from[ph * s + pw];
        if (c >= 16) to.set(phase.subarray(source, source + c), target);
        else for (let k = 0; k < c; k++) to[target + k] = phase[source + k];
      }
    }
  }
  return output;
}
