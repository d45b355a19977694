/**
 * Every third-party module gantry uses, pinned to an exact npm version. Source files import from
 * here, never from bare names, so that `mod.ts` imported by URL resolves the same versions
 * without our import map.
 *
 * @module
 */
export * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
export * as tfl from "npm:@tensorflow/tfjs-layers@4.22.0";
export { z } from "npm:zod@4.6.7";
export { decode as decodePng, encode as encodePng } from "npm:fast-png@8.0.0";
export * as vega from "npm:vega@6.4.0";
export * as vegaLite from "npm:vega-lite@6.5.0";
// Side-effect imports register the backends with tfjs-core; `core/backend.ts` picks one.
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";
import "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
