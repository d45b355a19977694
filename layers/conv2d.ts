/**
 * tfjs-layers' Conv2D whose gradients are computed only when a step asks for them
 * (`core/backend/convolution.ts`): a DCGAN step skips D's filter gradients in G's update and D's
 * first layer's gradient with respect to its input batches.
 *
 * @module
 */
import { type tf, type tfl } from "../deps.ts";
import { tfjsLayerClass } from "./_tfjs_class.ts";
import { convolution } from "../core/backend/convolution.ts";

/** Constructor arguments of {@linkcode Conv2D}: tfjs-layers' `conv2d` arguments. */
export type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

/** What Conv2D keeps that its type declares private. */
interface Conv2DState {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string };
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}

const TfjsConv2D = tfjsLayerClass<Conv2DArgs>("Conv2D");

/**
 * A 2-D convolution layer, exactly tfjs-layers' Conv2D (the same arguments, weights, numbers and
 * saved form: a saved model holds a plain "Conv2D", which tfjs loads), but a 4-D channels-last
 * input with a linear activation and no dilation runs {@linkcode convolution}: one kernel whose
 * gradients with respect to x, the filter and the bias are each computed only when asked for,
 * where tfjs's computes all three for any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Conv2D } from "./conv2d.ts";
 *
 * await tf.setBackend("cpu");
 * const layer = new Conv2D({
 *   filters: 1,
 *   kernelSize: 2,
 *   kernelInitializer: "ones",
 *   biasInitializer: "ones",
 * });
 * const y = layer.apply(tf.ones([1, 2, 2, 1])) as tf.Tensor;
 * assert.deepEqual(await y.data(), new Float32Array([5]));
 * assert.equal(layer.getClassName(), "Conv2D");
 * ```
 */
export class Conv2D extends TfjsConv2D {
  static className = "Conv2D";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Parameters<tfl.layers.Layer["call"]>[1]) {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const { kernel, bias, activation, strides, padding, dataFormat, dilationRate } =
      this as unknown as Conv2DState;
    const undilated = [dilationRate].flat().every((d) => d === 1);
    if (
      Array.isArray(x) || x.rank !== 4 || dataFormat !== "channelsLast" || !undilated ||
      activation.getClassName() !== "linear" || (padding !== "same" && padding !== "valid")
    ) {
      return super.call(inputs, kwargs);
    }
    return convolution(x, kernel.read(), {
      strides: [strides[0], strides[1]],
      pad: padding,
      bias: bias?.read(),
    });
  }
}
