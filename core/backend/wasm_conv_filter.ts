/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none: the gradient of conv2d (and of
 * conv2dTranspose, which uses the same kernel with x and dy in swapped roles) with respect to its
 * filter. Registered by `wasm_kernels.ts`.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { type ConvGradientAttrs, type KernelFunc, onHeap, wasmKernel } from "./wasm_kernel.ts";
import { eachWindowTap } from "./conv_windows.ts";
import { FEW_CHANNELS } from "./wasm_conv_input.ts";
import { OWN_PRODUCT } from "./wasm_matmul.ts";

interface Conv2DBackpropFilterAttrs extends ConvGradientAttrs {
  filterShape: [number, number, number, number];
}

/**
 * The gradient of conv2d with respect to its filter (dilation 1, NHWC), from wasm kernels only:
 *
 *     dW[kh, kw, ci, co] = Σ_{n, oh, ow} xPadded[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co]
 *
 * which is itself a convolution, run by wasm's Conv2D (XNNPACK): take x as [Ci, H, W, N] (its
 * channels as the batch, its batch as the channels) and dy as a filter [OH, OW, N, Co]; a
 * stride-1 convolution dilated by the forward stride, padded as the forward pass was, gives
 * [Ci, KH, KW, Co], which one transpose turns into the filter's layout [KH, KW, Ci, Co].
 *
 * Chosen over im2col plus one matrix product because it was faster (65 against 125 ms for DCGAN's
 * 5×5 stride-2 conv from [64, 14, 14, 64] to 7×7×128; the product alone takes 53 ms) and
 * needs no im2col matrix (KH·KW·Ci·N·OH·OW floats, 20 MB there): wasm's StridedSlice and GatherV2
 * run at about 100 ns per element (23 ms per kernel offset there), Transpose above rank 4 is
 * 100x slower than at rank 4, and Slice copies its whole input per call, so cutting the KH·KW
 * window slices cost as much as the product. Memory here: copies of x and dy, plus the output.
 *
 * From x with fewer than `FEW_CHANNELS` channels (DCGAN's first convolution, on 1-channel
 * images, and its last transposed one) XNNPACK's convolution is slow (9 ms for DCGAN's at batch
 * 64), and the im2col matrix small: it is built in one pass of JavaScript, [N·OH·OW, KH·KW·Ci],
 * zeros outside x, and im2colᵀ·dy, one product on gantry's kernel (`wasm_matmul.ts`), is the
 * filter's layout already.
 */
export function makeConv2DBackpropFilter(): KernelFunc {
  // The BatchMatMul registered when this is made: gantry's (`wasm_kernels.ts`).
  const product = wasmKernel("BatchMatMul");
  const transpose = wasmKernel("Transpose");
  const conv2d = wasmKernel("Conv2D");
  const slice = wasmKernel("Slice");
  const fill = wasmKernel("Fill");
  const reshape = wasmKernel("Reshape");
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
    if (n * oh * ow === 0 || ci === 0 || co === 0) {
      return fill({ inputs: {}, backend, attrs: { shape: filterShape, value: 0, dtype: x.dtype } });
    }
    const live: tf.TensorInfo[] = [];
    const own = (t: tf.TensorInfo | tf.TensorInfo[]) => {
      live.push(t as tf.TensorInfo);
      return t as tf.TensorInfo;
    };
    try {
      if (ci < FEW_CHANNELS && n * oh * ow * kh * kw * ci * co <= OWN_PRODUCT) {
        const columns = own(im2col(x, info, backend));
        const rows = own(
          reshape({ inputs: { x: dy }, backend, attrs: { shape: [n * oh * ow, co] } }),
        );
        const dw = own(product({
          inputs: { a: columns, b: rows },
          backend,
          attrs: { transposeA: true, transposeB: false },
        }));
        return reshape({
          inputs: { x: dw },
          backend,
          attrs: { shape: filterShape },
        }) as tf.TensorInfo;
      }
      const xT = own(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }));
      const dyT = own(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
      // Rows past the last window (left over by a stride, or by explicit padding) are not
      // dropped from x: the output then has them as extra rows, cut off below. A "ceil" rounding
      // mode's windows past the padding read zeros, as in the cpu kernel.
      const bottom = (oh - 1) * sh + kh - h - padInfo.top;
      const right = (ow - 1) * sw + kw - w - padInfo.left;
      const paddings = [
        [0, 0],
        [padInfo.top, Math.max(0, bottom)],
        [padInfo.left, Math.max(0, right)],
        [0, 0],
      ];
      let dw = own(conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: { strides: 1, dilations: [sh, sw], pad: paddings, dataFormat: "NHWC" },
      }));
      if (bottom < 0 || right < 0) {
        dw = own(
          slice({
            inputs: { x: dw },
            backend,
            attrs: { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] },
          }),
        );
      }
      // [Ci, KH, KW, Co] -> [KH, KW, Ci, Co]
      return transpose({ inputs: { x: dw }, backend, attrs: { perm: [1, 2, 0, 3] } });
    } finally {
      for (const t of live) backend.disposeData(t.dataId);
    }
  };
}

/**
 * x's windows as rows: [N·OH·OW, KH·KW·Ci], row (n, oh, ow) holding x[n, oh·sh + kh − top,
 * ow·sw + kw − left, ci] by (kh, kw, ci), zero outside x.
 */
function im2col(
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const { batchSize: n, outHeight: oh, outWidth: ow, inChannels: ci } = info;
  const width = info.filterHeight * info.filterWidth * ci;
  const { outputs: [output], out: [to], view } = onHeap(backend, [[n * oh * ow, width]]);
  to.fill(0);
  const from = view(x);
  eachWindowTap(info, (image, column) => {
    for (let c = 0; c < ci; c++) to[column + c] = from[image + c];
  });
  return output;
}
