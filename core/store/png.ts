/**
 * Minimal raster plots of GAN samples as PNG bytes, so a training run can write visual
 * checkpoints without a browser, canvas library or plotting stack.
 *
 * @module
 */
import { encodePng as encode } from "../../deps.ts";

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const GUTTER: Rgb = [64, 64, 64];
const AXIS: Rgb = [210, 210, 210];
const DATA: Rgb = [150, 185, 235];
const SAMPLE: Rgb = [220, 30, 30];

/** RGB pixel buffer shared by every plot; drawing outside it is clipped, not an error. */
class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb) {
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set(color, (y * this.width + x) * 3);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + w); xx++) {
        this.setPixel(xx, yy, color);
      }
    }
  }

  toPng(): Uint8Array {
    const { width, height, data } = this;
    return encode({ width, height, data, channels: 3, depth: 8 });
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function checkInterval(name: string, lo: number, hi: number): void {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new RangeError(`${name} must be finite with min < max, got [${lo}, ${hi}]`);
  }
}

/**
 * Finite extent of every `stride`-th value from `offset`, widened by 10% a side so points never
 * sit on the border. Falls through to the next array when one has no finite values (e.g. no
 * reference data was given).
 */
function paddedExtent(arrays: Float32Array[], stride: number, offset: number): [number, number] {
  for (const values of arrays) {
    let lo = Infinity, hi = -Infinity;
    for (let i = offset; i < values.length; i += stride) {
      if (Number.isFinite(values[i])) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
    }
    if (lo > hi) continue;
    // Constant input would give a zero-width range and divide by zero downstream.
    const pad = hi > lo ? 0.1 * (hi - lo) : Math.max(1, Math.abs(lo)) / 2;
    return [lo - pad, hi + pad];
  }
  return [-1, 1];
}

/** Options for {@link imageGridPng}. */
export interface ImageGridOptions {
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** 1 (grayscale) or 3 (RGB); the PNG is RGB either way. */
  channels: 1 | 3;
  /** Values mapped linearly to 0..255, clamped. Default [-1, 1] (a tanh generator's output). */
  range?: [number, number];
  /** Tiles per row. Default ceil(sqrt(N)). */
  columns?: number;
  /** Integer nearest-neighbour upscaling of each image (not of the gutter). Default 1. */
  scale?: number;
}

/**
 * Tiles N images (NHWC) into one PNG with a 2-pixel dark-gray gutter around and between tiles,
 * as torchvision's `make_grid` does: the usual way to eyeball image-GAN samples. Grayscale is
 * written as RGB so every plot here shares one encoding.
 */
export function imageGridPng(images: Float32Array, options: ImageGridOptions): Uint8Array {
  const { height: h, width: w, channels: c } = options;
  positiveInt("height", h);
  positiveInt("width", w);
  if (c !== 1 && c !== 3) throw new RangeError(`channels must be 1 or 3, got ${c}`);
  const perImage = h * w * c;
  if (images.length === 0 || images.length % perImage !== 0) {
    throw new RangeError(
      `images.length ${images.length} is not a positive multiple of ` +
        `height*width*channels = ${h}*${w}*${c} = ${perImage}`,
    );
  }
  const n = images.length / perImage;
  const cols = positiveInt("columns", options.columns ?? Math.ceil(Math.sqrt(n)));
  const scale = positiveInt("scale", options.scale ?? 1);
  const [lo, hi] = options.range ?? [-1, 1];
  checkInterval("range", lo, hi);
  // Math.min/max propagate NaN; a diverged generator should show black, not garbage.
  const byte = (v: number) =>
    Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);

  const gap = 2, tileW = w * scale + gap, tileH = h * scale + gap;
  const canvas = new Canvas(cols * tileW + gap, Math.ceil(n / cols) * tileH + gap, GUTTER);
  for (let k = 0; k < n; k++) {
    const x0 = gap + (k % cols) * tileW, y0 = gap + Math.floor(k / cols) * tileH;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = k * perImage + (y * w + x) * c;
        const r = byte(images[i]);
        const rgb: Rgb = c === 1 ? [r, r, r] : [r, byte(images[i + 1]), byte(images[i + 2])];
        canvas.fillRect(x0 + x * scale, y0 + y * scale, scale, scale, rgb);
      }
    }
  }
  return canvas.toPng();
}

/**
 * A picture of generated samples over real data, both flat: interleaved coordinates of points.
 */
export type SamplesPlot<O> = (samples: Float32Array, data: Float32Array, options?: O) => Uint8Array;

/** Options for {@link scatterPng}. */
export interface ScatterOptions {
  /** [xmin, xmax, ymin, ymax]. Default: extent of `data` plus 10%, with equal aspect. */
  bounds?: [number, number, number, number];
  /** Side of the square image in pixels. Default 512. */
  size?: number;
}

/**
 * Scatter plot of 2-D GAN samples (red, on top) over real data (blue): the standard mode-collapse
 * check on toy mixtures. Points are interleaved [x0, y0, x1, y1, ...]. Out-of-bounds and
 * non-finite points are skipped rather than clamped, so they can't pile up on the border.
 */
export const scatterPng: SamplesPlot<ScatterOptions> = (samples, data, options = {}) => {
  const size = positiveInt("size", options.size ?? 512);
  let bounds = options.bounds;
  if (!bounds) {
    const [x0, x1] = paddedExtent([data, samples], 2, 0);
    const [y0, y1] = paddedExtent([data, samples], 2, 1);
    // Equal aspect, so a ring in data space stays a ring on screen.
    const half = Math.max(x1 - x0, y1 - y0) / 2, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    bounds = [cx - half, cx + half, cy - half, cy + half];
  }
  const [xmin, xmax, ymin, ymax] = bounds;
  checkInterval("bounds x", xmin, xmax);
  checkInterval("bounds y", ymin, ymax);
  const px = (x: number) => Math.round((x - xmin) / (xmax - xmin) * (size - 1));
  const py = (y: number) => Math.round((ymax - y) / (ymax - ymin) * (size - 1)); // y up

  const canvas = new Canvas(size, size, WHITE);
  if (xmin <= 0 && 0 <= xmax) canvas.fillRect(px(0), 0, 1, size, AXIS);
  if (ymin <= 0 && 0 <= ymax) canvas.fillRect(0, py(0), size, 1, AXIS);
  for (const [points, color] of [[data, DATA], [samples, SAMPLE]] as const) {
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = points[i], y = points[i + 1];
      // Written so that NaN fails it too.
      if (x >= xmin && x <= xmax && y >= ymin && y <= ymax) {
        canvas.fillRect(px(x) - 1, py(y) - 1, 3, 3, color);
      }
    }
  }
  return canvas.toPng();
};

/** Options for {@link histogramPng}. */
export interface HistogramOptions {
  /** [min, max] of the x axis. Default: extent of `data` plus 10%. */
  range?: [number, number];
  /** Number of bins across the range. Default 60. */
  bins?: number;
  /** Image width in pixels. Default 640. */
  width?: number;
  /** Image height in pixels. Default 320. */
  height?: number;
}

/**
 * Overlaid density histograms of 1-D GAN samples (red step outline) over real data (blue bars).
 * Each is normalised by its own in-range count, like numpy's `density=True`, so the two areas
 * match whatever the batch sizes.
 */
export const histogramPng: SamplesPlot<HistogramOptions> = (samples, data, options = {}) => {
  const bins = positiveInt("bins", options.bins ?? 60);
  const width = positiveInt("width", options.width ?? 640);
  const height = positiveInt("height", options.height ?? 320);
  const [lo, hi] = options.range ?? paddedExtent([data, samples], 1, 0);
  checkInterval("range", lo, hi);

  const density = (values: Float32Array) => {
    const counts = new Float64Array(bins);
    let total = 0;
    for (const v of values) {
      if (!(v >= lo && v <= hi)) continue;
      counts[Math.min(bins - 1, Math.floor((v - lo) / (hi - lo) * bins))]++;
      total++;
    }
    return counts.map((k) => total ? k / (total * (hi - lo) / bins) : 0);
  };
  const dataDensity = density(data), sampleDensity = density(samples);
  const peak = Math.max(...dataDensity, ...sampleDensity) || 1;
  // 5% headroom keeps the tallest outline off the top edge; any non-empty bin gets >= 1 px.
  const top = (d: number) =>
    height - (d > 0 ? Math.max(1, Math.round(d / peak * height * 0.95)) : 0);
  const left = (i: number) => Math.round(i * width / bins);

  const canvas = new Canvas(width, height, WHITE);
  dataDensity.forEach((d, i) =>
    canvas.fillRect(left(i), top(d), left(i + 1) - left(i), height, DATA)
  );
  canvas.fillRect(0, height - 1, width, 1, AXIS);
  // Step outline: a riser at each bin edge (including the last), then the bin's top edge.
  let prev = height;
  for (let i = 0; i <= bins; i++) {
    const t = i < bins ? top(sampleDensity[i]) : height;
    if (t !== prev) {
      canvas.fillRect(left(i) - 1, Math.min(t, prev) - 1, 2, Math.abs(t - prev) + 1, SAMPLE);
    }
    if (t < height) canvas.fillRect(left(i), t - 1, left(i + 1) - left(i), 2, SAMPLE);
    prev = t;
  }
  return canvas.toPng();
};
