import { tf, tfl } from "../deps.ts";

/**
 * The model saved to memory and loaded back, as a checkpoint saves and loads it: what the
 * layers' serialization tests compare with the original.
 */
export async function reload(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return await tfl.loadLayersModel(tf.io.fromMemory(saved!));
}
