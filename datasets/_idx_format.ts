/**
 * Reads IDX files, the format of MNIST and its look-alikes (Fashion-MNIST, KMNIST, EMNIST):
 * a big-endian header (magic number 0x0000TTDD: data type TT, DD dimensions, then one uint32
 * per dimension) followed by the data in row-major order. gantry reads unsigned-byte images
 * [n, rows, cols] (magic 0x00000803) and labels [n] (magic 0x00000801), plain or gzipped.
 *
 * @module
 */

/** What an IDX file holds: images [n, rows, cols] or labels [n], both unsigned bytes. */
export type IdxKind = "images" | "labels";

/** A decoded IDX file. */
export interface IdxArray {
  kind: IdxKind;
  /** The dimensions from the header: [n, rows, cols] for images, [n] for labels. */
  dims: number[];
  /** The data after the header, row-major (a view of the file's bytes, not a copy). */
  data: Uint8Array;
}

/** Images and their labels read from a pair of IDX files. */
export interface IdxImages {
  /** Number of images. */
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major. */
  images: Uint8Array;
  /** count bytes, when a label file was given. */
  labels?: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;
const DIMENSIONS: Record<IdxKind, number> = { images: 3, labels: 1 };
const MAGIC: Record<IdxKind, number> = { images: 0x00000803, labels: 0x00000801 };
const DESCRIPTION: Record<IdxKind, string> = { images: "an image file", labels: "a label file" };
const DATA_TYPES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

const hex = (value: number, digits = 8) => `0x${value.toString(16).padStart(digits, "0")}`;
const count = (value: number) => value.toLocaleString("en-US");

/** Options of {@linkcode decodeIdx}. */
export interface DecodeIdxOptions {
  /** Names the file in error messages. Default: "IDX data". */
  source?: string;
  /** Whether the bytes were decompressed from gzip (error messages say so). Default: false. */
  decompressed?: boolean;
}

/**
 * Decodes the bytes of an uncompressed IDX file of unsigned bytes, checking the magic number,
 * the data type, the number of dimensions and that the length is the header plus the data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIdx, encodeIdx } from "./_idx_format.ts";
 * const bytes = encodeIdx(new Uint8Array([3, 1, 4]), [3]);
 * assert.deepEqual(decodeIdx(bytes, "labels").dims, [3]);
 * ```
 */
export function decodeIdx(
  bytes: Uint8Array,
  kind: IdxKind,
  options: DecodeIdxOptions = {},
): IdxArray {
  const { source = "IDX data", decompressed = false } = options;
  const fail = (message: string) => new Error(`${source}: ${message}`);
  const found = `found ${count(bytes.length)}${decompressed ? " after decompression" : ""}`;
  if (bytes.length < 4) {
    throw fail(`expected at least 4 bytes of IDX header, ${found} (truncated?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expected = `expected ${DESCRIPTION[kind]} (${hex(MAGIC[kind])})`;
  if (magic !== MAGIC[kind]) {
    const type = bytes[2], dimensions = bytes[3];
    const other: IdxKind = kind === "images" ? "labels" : "images";
    if (magic === MAGIC[other]) {
      throw fail(`magic number ${hex(magic)} is ${DESCRIPTION[other]}, ${expected}`);
    }
    if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in DATA_TYPES)) {
      throw fail(`magic number ${hex(magic)} is not an IDX file, ${expected}`);
    }
    if (type !== UNSIGNED_BYTE) {
      throw fail(
        `magic number ${hex(magic)} has data type ${hex(type, 2)} (${DATA_TYPES[type]}), ` +
          `expected unsigned bytes (0x08): ${expected}`,
      );
    }
    throw fail(
      `magic number ${hex(magic)} has ${dimensions} dimensions, ${expected} with ` +
        `${DIMENSIONS[kind]}`,
    );
  }
  const header = 4 + 4 * DIMENSIONS[kind];
  if (bytes.length < header) {
    throw fail(`expected at least ${header} bytes of IDX header, ${found} (truncated?)`);
  }
  const dims = Array.from({ length: DIMENSIONS[kind] }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) {
    const what = kind === "images"
      ? `${dims.map(count).join("×")} images`
      : `${count(size)} labels`;
    throw fail(
      `expected ${count(header + size)} bytes for ${what}, ${found} ` +
        (bytes.length < header + size ? "(truncated?)" : "(trailing data?)"),
    );
  }
  return { kind, dims, data: bytes.subarray(header) };
}

/** True when `bytes` start with gzip's magic bytes 1f 8b. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads an IDX file of unsigned-byte images or labels, gzipped or not (gzip is recognised by
 * its magic bytes, whatever the file's name). Errors name the path and what was expected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeIdx, readIdx } from "./_idx_format.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, encodeIdx(new Uint8Array(12), [3, 2, 2]));
 * assert.deepEqual((await readIdx(path, "images")).dims, [3, 2, 2]);
 * await Deno.remove(path);
 * ```
 */
export async function readIdx(path: string, kind: IdxKind): Promise<IdxArray> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: file not found, expected ${DESCRIPTION[kind]} in IDX format`, {
        cause: error,
      });
    }
    throw new Error(`${path}: cannot read the file: ${(error as Error).message}`, { cause: error });
  }
  const decompressed = isGzip(bytes);
  if (decompressed) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (error) {
      throw new Error(
        `${path}: cannot decompress the gzip data: ${(error as Error).message} (truncated?)`,
        { cause: error },
      );
    }
  }
  return decodeIdx(bytes, kind, { source: path, decompressed });
}

/**
 * Reads an image file and, optionally, its label file, checking that they hold as many
 * labels as images.
 */
export async function readIdxImages(imagesPath: string, labelsPath?: string): Promise<IdxImages> {
  const [images, labels] = await Promise.all([
    readIdx(imagesPath, "images"),
    labelsPath === undefined ? undefined : readIdx(labelsPath, "labels"),
  ]);
  const [n, rows, cols] = images.dims;
  if (labels && labels.dims[0] !== n) {
    throw new Error(
      `${labelsPath}: expected ${count(n)} labels, one per image of ${imagesPath}, ` +
        `found ${count(labels.dims[0])}`,
    );
  }
  return { count: n, rows, cols, images: images.data, labels: labels?.data };
}

/**
 * Encodes unsigned bytes as an uncompressed IDX file: images when `dims` has 3 entries
 * ([n, rows, cols]), labels when it has 1 ([n]). Tests use it to write fixture files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeIdx } from "./_idx_format.ts";
 * assert.deepEqual(encodeIdx(new Uint8Array([7, 2]), [2]), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 2]));
 * ```
 */
export function encodeIdx(data: Uint8Array, dims: number[]): Uint8Array<ArrayBuffer> {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(
      `Cannot encode IDX data of dims [${
        dims.join(", ")
      }]: expected ${size} bytes, found ${data.length}`,
    );
  }
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (UNSIGNED_BYTE << 8) | dims.length);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  bytes.set(data, header);
  return bytes;
}
