import { tf, type tfl } from "../deps.ts";

/**
 * The class of one of tfjs-layers' layers, by its class name: tfjs-layers exports factories
 * (`tfl.layers.dense`), not the classes, and its serialization entry holds each.
 */
export function tfjsLayerClass<Args>(className: string): new (args: Args) => tfl.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`tfjs-layers has no layer class "${className}"`);
  return entry[0] as unknown as new (args: Args) => tfl.layers.Layer;
}
