/**
 * Tensors laid end to end in one binary file, described by specs that the caller keeps in JSON
 * (a checkpoint's state.json): how optimizer and plugin state is stored.
 *
 * @module
 */
import { CorruptFileError } from "./corrupt_file.ts";
import { tf } from "../../deps.ts";

/** A tensor with the name its owner gave it. */
export type NamedTensor = { name: string; tensor: tf.Tensor };

/** What the JSON side records of one stored tensor. */
export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
}

/**
 * The bytes of `named`'s tensors, one after the other, and their specs. Only float32 and int32
 * tensors are stored; any other dtype throws, naming the tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../../deps.ts";
 * import { decodeTensors, encodeTensors } from "./tensor_file.ts";
 *
 * await tf.setBackend("cpu");
 * const { specs, bytes } = await encodeTensors([{ name: "w", tensor: tf.tensor1d([1, 2]) }]);
 * const [back] = decodeTensors(specs, bytes, "w.bin");
 * assert.deepEqual(await back.tensor.data(), new Float32Array([1, 2]));
 * ```
 */
export async function encodeTensors(
  named: NamedTensor[],
): Promise<{ specs: TensorSpec[]; bytes: Uint8Array }> {
  const specs: TensorSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const { name, tensor } of named) {
    if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
      throw new TypeError(
        `Cannot checkpoint "${name}": its dtype is ${tensor.dtype}; checkpoints hold float32 ` +
          "and int32 tensors (cast it in the plugin's saveState)",
      );
    }
    const values = await tensor.data();
    specs.push({ name, shape: tensor.shape, dtype: tensor.dtype as TensorSpec["dtype"] });
    chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  return { specs, bytes };
}

/**
 * The inverse of {@linkcode encodeTensors}: fresh tensors the caller owns. Bytes that do not
 * match the specs throw, naming `file`.
 */
export function decodeTensors(specs: TensorSpec[], bytes: Uint8Array, file: string): NamedTensor[] {
  const sizes = specs.map(({ shape }) => shape.reduce((a, b) => a * b, 1));
  const expected = sizes.reduce((a, b) => a + b, 0) * 4;
  if (expected !== bytes.byteLength) {
    throw new CorruptFileError(
      `${file}: expected ${expected} bytes as state.json describes, found ${bytes.byteLength}`,
    );
  }
  let offset = bytes.byteOffset;
  return specs.map(({ name, shape, dtype }, i) => {
    const buffer = bytes.buffer.slice(offset, offset += sizes[i] * 4);
    const values = dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer);
    return { name, tensor: tf.tensor(values, shape, dtype) };
  });
}
