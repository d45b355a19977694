/**
 * tfjs-layers' Dense with its product in one kernel (`matrix_product.ts`): a ring MLP
 * step ran about a third fewer kernels and took 1.2–1.3x less time than with tfjs's Dense.
 *
 * @module
 */
import { type tf, type tfl } from "../deps.ts";
import { tfjsLayerClass } from "./_tfjs_class.ts";
import { matrixProduct } from "../core/backend/matrix_product.ts";

/** Constructor arguments of {@linkcode Dense}: tfjs-layers' `dense` arguments. */
export type DenseArgs = Parameters<typeof tfl.layers.dense>[0];

/** What Dense keeps that its type declares private. */
interface DenseWeights {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string };
}

const TfjsDense = tfjsLayerClass<DenseArgs>("Dense");

/**
 * A dense layer, y = activation(x·W + b), exactly tfjs-layers' Dense (the same arguments,
 * weights, numbers and saved form: a saved model holds a plain "Dense", which tfjs loads), but
 * a 2-D float32 input with a linear activation runs {@linkcode matrixProduct}: one kernel forward
 * where tfjs's runs seven on wasm, and in the gradient only the products the tape asks for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../deps.ts";
 * import { Dense } from "./dense.ts";
 *
 * await tf.setBackend("cpu");
 * const layer = new Dense({ units: 1, kernelInitializer: "ones", biasInitializer: "ones" });
 * const y = layer.apply(tf.tensor2d([[1, 2]])) as tf.Tensor;
 * assert.deepEqual(await y.data(), new Float32Array([4]));
 * assert.equal(layer.getClassName(), "Dense");
 * ```
 */
export class Dense extends TfjsDense {
  static className = "Dense";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Parameters<tfl.layers.Layer["call"]>[1]) {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const { kernel, bias, activation } = this as unknown as DenseWeights;
    if (Array.isArray(x) || x.rank !== 2 || activation.getClassName() !== "linear") {
      return super.call(inputs, kwargs);
    }
    this.invokeCallHook(inputs, kwargs);
    return matrixProduct(x, kernel.read(), { bias: bias?.read() });
  }
}
