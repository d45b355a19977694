/**
 * The picture of samples a run draws at each evaluation (and `sample` from a saved run): an
 * image grid for image data, a scatter over the data for 2-D points, overlaid histograms for 1-D.
 *
 * @module
 */
import type { DatasetInfo } from "../contract/plugin.ts";
import { histogramPng, imageGridPng, scatterPng } from "./png.ts";

/** How many points a scatter or histogram of low-dimensional samples shows. */
export const PLOT_POINTS = 1000;

/**
 * A picture of samples: an image grid for image data (`columns` wide, else square); for points,
 * a scatter of the first two coordinates over `data`, or overlaid histograms for 1-D data.
 */
export function samplesPng(
  info: DatasetInfo,
  samples: Float32Array,
  data: Float32Array,
  columns?: number,
): Uint8Array {
  if (info.kind === "image") {
    const [height, width, channels] = info.shape;
    return imageGridPng(samples, {
      height,
      width,
      channels: channels === 3 ? 3 : 1,
      range: info.range,
      columns,
      // MNIST-sized digits are easier to judge at twice their size.
      scale: height <= 32 ? 2 : 1,
    });
  }
  const dim = info.shape[0];
  return dim === 1
    ? histogramPng(samples, data)
    : scatterPng(firstTwo(samples, dim), firstTwo(data, dim));
}

/** The first two coordinates of each point, interleaved. */
function firstTwo(points: Float32Array, dim: number): Float32Array {
  if (dim === 2) return points;
  const out = new Float32Array((points.length / dim) * 2);
  for (let i = 0; i < out.length / 2; i++) {
    out[2 * i] = points[i * dim];
    out[2 * i + 1] = points[i * dim + 1];
  }
  return out;
}
