/**
 * Kernel fixes for tfjs-backend-wasm 4.22, registered once when a run picks the wasm backend.
 *
 * Matrix products with `transposeA` or `transposeB` take a slow path in the wasm backend
 * (measured: 20x slower than transposing first, 114 ms vs 6 ms for a 784×128 by 128×512
 * product), and every gradient of a dense layer is such a product. The wrapped kernels
 * transpose explicitly, then run the fast untransposed product.
 *
 * The wasm backend also has no `Conv2DBackpropFilter` kernel, so the gradient of conv2d (and of
 * conv2dTranspose, which uses the same kernel with x and dy in swapped roles) with respect to its
 * filter throws there. {@linkcode registerWasmKernels} adds one built from kernels wasm has
 * (im2col, then one matrix product).
 *
 * @module
 */
import { tf } from "../deps.ts";

type Inputs = Record<string, tf.TensorInfo>;

type KernelFunc = (params: {
  inputs: Inputs;
  backend: tf.KernelBackend;
  attrs?: Record<string, unknown>;
}) => tf.TensorInfo | tf.TensorInfo[];

let registered = false;

function kernelFunc(name: string): KernelFunc {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return config.kernelFunc as unknown as KernelFunc;
}

/** Swaps the last two axes of `x` with the backend's own Transpose kernel. */
function transposeLastTwo(
  transpose: KernelFunc,
  x: tf.TensorInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/**
 * The gradient of conv2d with respect to its filter (dilation 1, NHWC), from wasm kernels only:
 *
 *     dW[kh, kw, ci, co] = Σ_{n, oh, ow} xPadded[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co]
 *
 * x is transposed once to channels-first [Ci, N, H, W] and zero-padded; the strided slice of it at
 * each kernel offset (kh, kw) is then already [Ci, N·OH·OW], so stacking the KH·KW slices along
 * axis 0 gives the transposed im2col matrix [KH·KW·Ci, N·OH·OW] without transposing it (wasm's
 * Concat along axis 0 is KH·KW block copies; along the channel axis it would be a JS loop over
 * every pixel). One untransposed BatchMatMul with dy as [N·OH·OW, Co] gives [KH·KW·Ci, Co], which
 * is the filter's layout [KH, KW, Ci, Co].
 *
 * Memory: the im2col matrix holds KH·KW·Ci·N·OH·OW floats, plus the same again briefly for the
 * slices before they are concatenated: 2 × 4 · KH·KW·Ci·N·OH·OW bytes at the peak (40 MB for
 * DCGAN's 5×5 conv from [64, 14, 14, 64] to 7×7×128). Not chunked; fine for gantry's models, huge
 * for large images.
 */
function makeConv2DBackpropFilter(): KernelFunc {
  const transpose = kernelFunc("Transpose");
  const padV2 = kernelFunc("PadV2");
  const stridedSlice = kernelFunc("StridedSlice");
  const concat = kernelFunc("Concat");
  const reshape = kernelFunc("Reshape");
  const batchMatMul = kernelFunc("BatchMatMul");
  const fill = kernelFunc("Fill");
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat === "NCHW") {
      throw new Error(
        "Conv2DBackpropFilter on wasm (gantry's kernel) supports only NHWC data, got NCHW",
      );
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const { filterHeight: kh, filterWidth: kw, padInfo } = info;
    const expected = [n, oh, ow, co];
    if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      throw new Error(
        `Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${expected}] for x ` +
          `[${x.shape}] and filter [${filterShape}]`,
      );
    }
    const rows = n * oh * ow;
    if (rows === 0) {
      return fill({ inputs: {}, backend, attrs: { shape: filterShape, value: 0, dtype: x.dtype } });
    }
    const temps: tf.TensorInfo[] = [];
    const keep = (info: tf.TensorInfo | tf.TensorInfo[]) => {
      temps.push(info as tf.TensorInfo);
      return info as tf.TensorInfo;
    };
    try {
      // [N, H, W, Ci] -> [Ci, N, H, W]
      let xt = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 0, 1, 2] } }));
      // Pads so that every window fits: a `ceil` rounding mode may ask for more rows than the
      // stated padding gives (they read as zeros, as in the cpu kernel), and unused trailing rows
      // are simply never sliced.
      const bottom = Math.max(0, (oh - 1) * sh + kh - h - padInfo.top);
      const right = Math.max(0, (ow - 1) * sw + kw - w - padInfo.left);
      if (padInfo.top > 0 || bottom > 0 || padInfo.left > 0 || right > 0) {
        const paddings = [[0, 0], [0, 0], [padInfo.top, bottom], [padInfo.left, right]];
        xt = keep(padV2({ inputs: { x: xt }, backend, attrs: { paddings, constantValue: 0 } }));
      }
      const slices: tf.TensorInfo[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          slices.push(keep(stridedSlice({
            inputs: { x: xt },
            backend,
            attrs: {
              begin: [0, 0, i, j],
              end: [ci, n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1],
              strides: [1, 1, sh, sw],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          })));
        }
      }
      // [KH·KW·Ci, N, OH, OW]
      const cols = slices.length === 1
        ? slices[0]
        // Concat takes its inputs as an array, as the engine hands them over.
        : keep(concat({ inputs: slices as unknown as Inputs, backend, attrs: { axis: 0 } }));
      const a = keep(
        reshape({ inputs: { x: cols }, backend, attrs: { shape: [kh * kw * ci, rows] } }),
      );
      const b = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [rows, co] } }));
      const product = keep(batchMatMul({
        inputs: { a, b },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }));
      return reshape({ inputs: { x: product }, backend, attrs: { shape: filterShape } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Registers gantry's wasm kernels, before the backend starts; later calls do nothing. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const transpose = kernelFunc("Transpose");
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const config = tf.getKernel(name, "wasm")!;
    const original = kernelFunc(name);
    tf.unregisterKernel(name, "wasm");
    // Keeps the original setupFunc, which binds the wasm function when the backend starts.
    tf.registerKernel({
      ...config,
      kernelFunc: (({ inputs, backend, attrs }) => {
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
        const a = transposeA ? transposeLastTwo(transpose, inputs.a, backend) : inputs.a;
        const b = transposeB ? transposeLastTwo(transpose, inputs.b, backend) : inputs.b;
        try {
          return original({
            inputs: { ...inputs, a, b },
            backend,
            attrs: { ...attrs, transposeA: false, transposeB: false },
          });
        } finally {
          if (a !== inputs.a) backend.disposeData(a.dataId);
          if (b !== inputs.b) backend.disposeData(b.dataId);
        }
      }) as KernelFunc as unknown as tf.KernelFunc,
    });
  }
  // Built after the wrap above, so its BatchMatMul is the wrapped one. Skipped should a later
  // tfjs-backend-wasm bring its own.
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: makeConv2DBackpropFilter() as unknown as tf.KernelFunc,
    });
  }
}
