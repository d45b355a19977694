import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeIdx, encodeIdx, readIdx, readIdxImages } from "./_idx_format.ts";

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gantry_idx_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const pixels = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 37) % 256);
const digits = Uint8Array.from([3, 1, 4, 1, 5]);

Deno.test("idx: images and labels round-trip through a plain file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "images.idx"), encodeIdx(pixels, [5, 3, 4]));
    await Deno.writeFile(join(dir, "labels.idx"), encodeIdx(digits, [5]));
    const images = await readIdx(join(dir, "images.idx"), "images");
    assert.equal(images.kind, "images");
    assert.deepEqual(images.dims, [5, 3, 4]);
    assert.deepEqual(images.data, pixels);
    const pair = await readIdxImages(join(dir, "images.idx"), join(dir, "labels.idx"));
    assert.deepEqual(pair, { count: 5, rows: 3, cols: 4, images: pixels, labels: digits });
  });
});

Deno.test("idx: gzipped files are recognised by their magic bytes, whatever their name", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "images.gz"), await gzip(encodeIdx(pixels, [5, 3, 4])));
    await Deno.writeFile(join(dir, "labels"), await gzip(encodeIdx(digits, [5])));
    const pair = await readIdxImages(join(dir, "images.gz"), join(dir, "labels"));
    assert.deepEqual(pair, { count: 5, rows: 3, cols: 4, images: pixels, labels: digits });
  });
});

Deno.test("idx: a truncated file names the path, the expected and the found length", async () => {
  await withTempDir(async (dir) => {
    const full = encodeIdx(new Uint8Array(60_000 * 28 * 28), [60_000, 28, 28]);
    const path = join(dir, "train-images.idx");
    await Deno.writeFile(path, full.subarray(0, 1000));
    await assert.rejects(
      readIdx(path, "images"),
      {
        message: `${path}: expected 47,040,016 bytes for 60,000×28×28 images, found 1,000 ` +
          "(truncated?)",
      },
    );
    const gz = join(dir, "train-images.gz");
    await Deno.writeFile(gz, await gzip(full.subarray(0, 1000)));
    await assert.rejects(
      readIdx(gz, "images"),
      {
        message: `${gz}: expected 47,040,016 bytes for 60,000×28×28 images, found 1,000 after ` +
          "decompression (truncated?)",
      },
    );
    // A cut gzip stream fails in decompression.
    const zipped = await gzip(full);
    await Deno.writeFile(gz, zipped.subarray(0, zipped.length >> 1));
    await assert.rejects(readIdx(gz, "images"), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`^${gz}: cannot decompress the gzip data: .*truncated`),
      );
      return true;
    });
    await Deno.writeFile(path, encodeIdx(digits, [5]).subarray(0, 6));
    await assert.rejects(readIdx(path, "labels"), {
      message: `${path}: expected at least 8 bytes of IDX header, found 6 (truncated?)`,
    });
  });
});

Deno.test("idx: trailing bytes are an error too", () => {
  const bytes = new Uint8Array([...encodeIdx(digits, [5]), 0]);
  assert.throws(() => decodeIdx(bytes, "labels", { source: "y.idx" }), {
    message: "y.idx: expected 13 bytes for 5 labels, found 14 (trailing data?)",
  });
});

Deno.test("idx: a wrong magic number says what the file is and what was expected", () => {
  const labels = encodeIdx(digits, [5]);
  assert.throws(() => decodeIdx(labels, "images", { source: "x.idx" }), {
    message: "x.idx: magic number 0x00000801 is a label file, expected an image file (0x00000803)",
  });
  const images = encodeIdx(pixels, [5, 3, 4]);
  assert.throws(() => decodeIdx(images, "labels", { source: "y.idx" }), {
    message: "y.idx: magic number 0x00000803 is an image file, expected a label file (0x00000801)",
  });
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
  assert.throws(() => decodeIdx(png, "images", { source: "z.png" }), {
    message: "z.png: magic number 0x89504e47 is not an IDX file, expected an image file " +
      "(0x00000803)",
  });
  const floats = images.slice();
  floats[2] = 0x0d;
  assert.throws(() => decodeIdx(floats, "images", { source: "f.idx" }), {
    message: "f.idx: magic number 0x00000d03 has data type 0x0d (float32), expected unsigned " +
      "bytes (0x08): expected an image file (0x00000803)",
  });
  const matrix = encodeIdx(new Uint8Array(12), [3, 4]);
  assert.throws(() => decodeIdx(matrix, "images", { source: "m.idx" }), {
    message: "m.idx: magic number 0x00000802 has 2 dimensions, expected an image file " +
      "(0x00000803) with 3",
  });
});

Deno.test("idx: a label file must hold one label per image", async () => {
  await withTempDir(async (dir) => {
    const images = join(dir, "images.idx"), labels = join(dir, "labels.idx");
    await Deno.writeFile(images, encodeIdx(pixels, [5, 3, 4]));
    await Deno.writeFile(labels, encodeIdx(digits.subarray(0, 4), [4]));
    await assert.rejects(readIdxImages(images, labels), {
      message: `${labels}: expected 5 labels, one per image of ${images}, found 4`,
    });
  });
});

Deno.test("idx: a missing file names its path", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "nowhere", "t10k-images.gz");
    await assert.rejects(readIdx(path, "images"), {
      message: `${path}: file not found, expected an image file in IDX format`,
    });
    await Deno.writeFile(join(dir, "images.idx"), encodeIdx(pixels, [5, 3, 4]));
    await assert.rejects(readIdxImages(join(dir, "images.idx"), join(dir, "labels.idx")), {
      message: `${join(dir, "labels.idx")}: file not found, expected a label file in IDX format`,
    });
  });
});

Deno.test("idx: encodeIdx checks that the data fills the dimensions", () => {
  assert.throws(() => encodeIdx(new Uint8Array(3), [2, 2, 1]), RangeError);
});
