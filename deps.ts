/**
 * Every third-party module gantry uses, pinned to an exact npm version. Source files import from
 * here, never from bare names, so that `mod.ts` imported by URL resolves the same versions
 * without our import map.
 *
 * @module
 */
/**
 * The tfjs core gantry trains with (the one plugins receive as `tf`), so code that imports
 * mod.ts by URL never loads a second copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./deps.ts";
 *
 * await tf.setBackend("cpu");
 * assert.deepEqual(await tf.add(tf.tensor1d([1, 2]), 1).data(), new Float32Array([2, 3]));
 * ```
 */
export * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
/**
 * tfjs-layers, for a user's architecture (plugins receive it as `layers`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tfl } from "./deps.ts";
 *
 * assert.ok(tfl.layers.dense({ units: 3 }).getConfig().units === 3);
 * ```
 */
export * as tfl from "npm:@tensorflow/tfjs-layers@4.22.0";
/**
 * zod, for a plugin's options schema.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "./deps.ts";
 *
 * const options = z.strictObject({ weight: z.number().default(1) });
 * assert.deepEqual(options.parse({}), { weight: 1 });
 * ```
 */
export { z } from "npm:zod@4.6.7";
export { decode as decodePng, encode as encodePng } from "npm:fast-png@8.0.0";
export * as vega from "npm:vega@6.4.0";
export * as vegaLite from "npm:vega-lite@6.5.0";
// Side-effect imports register the backends with tfjs-core; `core/backend/select.ts` picks one.
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";
import "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
/** tfjs-backend-wasm's thread count setter and getter (`core/backend/wasm_threads.ts`). */
export { getThreadsCount, setThreadsCount } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
/** The source of the threaded build's pthread worker, as tfjs-backend-wasm ships it. */
export { wasmWorkerContents } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";
/** The threaded build's emscripten module factory, whose source each pthread worker evaluates. */
export { default as wasmThreadedFactory } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0/wasm-out/tfjs-backend-wasm-threaded-simd.js";
import "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
