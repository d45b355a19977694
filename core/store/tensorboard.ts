/**
 * TensorBoard's event file format, written without TensorFlow: a sequence of records (a
 * little-endian u64 length, its masked CRC-32C, the bytes, their masked CRC-32C), each an `Event`
 * protocol buffer (tensorflow/core/util/event.proto) holding a `Summary` of scalars or an image.
 *
 * @module
 */

/** One value of a summary: a scalar, or a PNG image. */
export type SummaryValue =
  | { tag: string; scalar: number }
  | { tag: string; png: Uint8Array };

/** The file_version event TensorBoard expects first in a file. */
export function fileVersionRecord(wallTime: number): Uint8Array {
  const event = new ProtoWriter();
  event.double(1, wallTime);
  event.bytes(3, new TextEncoder().encode("brain.Event:2"));
  return record(event.finish());
}

/**
 * A record of one event at `step` holding `values`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryRecord } from "./tensorboard.ts";
 *
 * const bytes = summaryRecord(1.5, 10, [{ tag: "train/dLoss", scalar: 0.5 }]);
 * // u64 length, u32 masked CRC, the event, u32 masked CRC.
 * const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
 * assert.equal(bytes.length, 8 + 4 + length + 4);
 * ```
 */
export function summaryRecord(wallTime: number, step: number, values: SummaryValue[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const value of values) {
    const entry = new ProtoWriter();
    entry.bytes(1, new TextEncoder().encode(value.tag));
    if ("scalar" in value) entry.float(2, value.scalar);
    else entry.bytes(4, imageMessage(value.png));
    summary.bytes(1, entry.finish());
  }
  const event = new ProtoWriter();
  event.double(1, wallTime);
  event.varint(2, step);
  event.bytes(5, summary.finish());
  return record(event.finish());
}

/** A `Summary.Image`: its size and colour space read from the PNG's IHDR chunk, and the bytes. */
function imageMessage(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  // PNG colour types 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA; TensorBoard's colour
  // spaces 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
  const colorspace = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[png[25]] ?? 3;
  const image = new ProtoWriter();
  image.varint(1, view.getUint32(20));
  image.varint(2, view.getUint32(16));
  image.varint(3, colorspace);
  image.bytes(4, png);
  return image.finish();
}

/** Frames `data` as a TFRecord. */
function record(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // 0x82f63b78: the Castagnoli polynomial, bit-reversed.
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32C of `bytes`, masked as TFRecord files store it: rotated right by 15 bits plus
 * 0xa282ead8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maskedCrc32c } from "./tensorboard.ts";
 *
 * // CRC-32C("123456789") is 0xe3069283.
 * const crc = 0xe3069283;
 * const masked = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
 * assert.equal(maskedCrc32c(new TextEncoder().encode("123456789")), masked);
 * ```
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** The few protocol buffer encodings events use: varints, doubles, floats and bytes. */
class ProtoWriter {
  #parts: number[] = [];
  #chunks: Uint8Array[] = [];

  #raw(bytes: Uint8Array) {
    this.#flush();
    this.#chunks.push(bytes);
  }

  #flush() {
    if (this.#parts.length) this.#chunks.push(Uint8Array.from(this.#parts));
    this.#parts = [];
  }

  #uvarint(value: number) {
    while (value >= 0x80) {
      this.#parts.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.#parts.push(value);
  }

  /** Field `field` (wire type 0): a non-negative integer. */
  varint(field: number, value: number) {
    this.#uvarint(field << 3);
    this.#uvarint(value);
  }

  /** Field `field` (wire type 1): a double. */
  double(field: number, value: number) {
    this.#uvarint((field << 3) | 1);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.#raw(bytes);
  }

  /** Field `field` (wire type 5): a float. */
  float(field: number, value: number) {
    this.#uvarint((field << 3) | 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.#raw(bytes);
  }

  /** Field `field` (wire type 2): bytes, a string or an embedded message. */
  bytes(field: number, value: Uint8Array) {
    this.#uvarint((field << 3) | 2);
    this.#uvarint(value.length);
    this.#raw(value);
  }

  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
