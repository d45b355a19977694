import type { tfl } from "../deps.ts";

/**
 * `value` when it is a positive integer; otherwise a RangeError naming the layer and argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInteger } from "./_checks.ts";
 *
 * assert.equal(positiveInteger("Layer", "units", 3), 3);
 * assert.throws(() => positiveInteger("Layer", "units", 0), /Layer with units 0: it must be/);
 * ```
 */
export function positiveInteger(layer: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create ${layer} with ${name} ${value}: it must be a positive integer`,
    );
  }
  return value;
}

/**
 * The size of the last axis of a layer's input shape, which the layer's weights are built for;
 * a TypeError naming the layer when there is no batch axis or the last axis is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastAxis } from "./_checks.ts";
 *
 * assert.equal(lastAxis("Layer", [null, 7]), 7);
 * assert.throws(() => lastAxis("Layer", [7]), /Cannot build Layer on shape \[7\]/);
 * ```
 */
export function lastAxis(layer: string, inputShape: tfl.Shape | tfl.Shape[]): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  const size = shape[shape.length - 1];
  if (shape.length < 2 || size === null) {
    throw new TypeError(
      `Cannot build ${layer} on shape ${JSON.stringify(shape)}: ` +
        "it needs a batch axis and a known last axis",
    );
  }
  return size;
}
