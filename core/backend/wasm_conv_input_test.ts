import assert from "node:assert/strict";
import { tf } from "../../deps.ts";
import { useBackend } from "./select.ts";
import { createRng } from "../contract/rng.ts";

interface Case {
  stride: number;
  pad: "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  dyShape: [number, number, number, number];
  dy: Float32Array;
  filter: Float32Array;
}

/** Random shapes: kernel 1–5, stride 1–2, three paddings, batch 1–8, channels 1–6, sides 4–12. */
function cases(count: number): Case[] {
  const rng = createRng(11);
  const out: Case[] = [];
  while (out.length < count) {
    const k = 1 + rng.int(5), stride = 1 + rng.int(2);
    const [n, ci, co] = [1 + rng.int(8), 1 + rng.int(6), 1 + rng.int(6)];
    const [h, w] = [4 + rng.int(9), 4 + rng.int(9)];
    const pad =
      (["same", "valid", [[0, 0], [1, 2], [2, 1], [0, 0]]] as const)[rng.int(3)] as Case["pad"];
    const xShape: Case["xShape"] = [n, h, w, ci];
    const filterShape: Case["filterShape"] = [k, k, ci, co];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad);
    if (info.outHeight <= 0 || info.outWidth <= 0) continue;
    const dyShape: Case["dyShape"] = [n, info.outHeight, info.outWidth, co];
    out.push({
      stride,
      pad,
      xShape,
      filterShape,
      dyShape,
      dy: rng.fill(new Float32Array(dyShape.reduce((a, b) => a * b))),
      filter: rng.fill(new Float32Array(filterShape.reduce((a, b) => a * b))),
    });
  }
  return out;
}

async function transposed(backend: "cpu" | "wasm", all: Case[]): Promise<Float32Array[]> {
  await useBackend(backend);
  return await Promise.all(all.map((c) =>
    tf.tidy(() =>
      tf.conv2dTranspose(
        tf.tensor4d(c.dy, c.dyShape),
        tf.tensor4d(c.filter, c.filterShape),
        c.xShape,
        c.stride,
        c.pad,
      )
    ).data() as Promise<Float32Array>
  ));
}

Deno.test("wasm Conv2DBackpropInput (conv2dTranspose, conv2d's input gradient) matches cpu", async () => {
  const all = cases(40);
  // DCGAN's layers at batch 2: 7×7×128 → 14×14×64 (98 dy rows, in two blocks of rows) and
  // 14×14×64 → 28×28×1.
  const rng = createRng(12);
  for (const [side, ci, co] of [[14, 64, 128], [28, 1, 64]]) {
    const dyShape: Case["dyShape"] = [2, side / 2, side / 2, co];
    all.push({
      stride: 2,
      pad: "same",
      xShape: [2, side, side, ci],
      filterShape: [5, 5, ci, co],
      dyShape,
      dy: rng.fill(new Float32Array(2 * (side / 2) ** 2 * co)),
      filter: rng.fill(new Float32Array(5 * 5 * ci * co)),
    });
  }
  const [expected, actual] = [await transposed("cpu", all), await transposed("wasm", all)];
  all.forEach((c, i) => {
    assert.equal(actual[i].length, expected[i].length);
    const scale = Math.max(...expected[i].map(Math.abs), 1e-6);
    const error = Math.max(...expected[i].map((v, j) => Math.abs(v - actual[i][j])));
    assert.ok(
      error / scale < 1e-4,
      `case ${i} (${JSON.stringify(c.xShape)}, k ${c.filterShape[0]}, stride ${c.stride}, ${
        JSON.stringify(c.pad)
      }): ${error / scale}`,
    );
  });
});

Deno.test("wasm Conv2DBackpropInput adds each dx element's terms in dy pixel order, bit for bit", async () => {
  // One dy channel, so that each term is one product, rounded once: the sum's order alone sets
  // the bits. 60×60 dy pixels of 5×5 taps are two blocks of rows, split inside a row.
  const rng = createRng(13);
  for (const [side, stride, ci] of [[60, 1, 1], [9, 2, 6], [12, 3, 2]]) {
    const pad = "same", k = 5, n = 2;
    const xShape: Case["xShape"] = [n, side * stride, side * stride, ci];
    const filterShape: Case["filterShape"] = [k, k, ci, 1];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad);
    const { top, left } = info.padInfo;
    const dy = rng.fill(new Float32Array(n * side * side)),
      filter = rng.fill(new Float32Array(k * k * ci));
    const expected = new Float32Array(xShape.reduce((a, b) => a * b));
    const [h, w] = [side * stride, side * stride];
    for (let p = 0; p < dy.length; p++) {
      const [image, y, x] = [Math.floor(p / side ** 2), Math.floor(p / side) % side, p % side];
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const [row, column] = [y * stride + i - top, x * stride + j - left];
          if (row < 0 || row >= h || column < 0 || column >= w) continue;
          for (let c = 0; c < ci; c++) {
            const at = ((image * h + row) * w + column) * ci + c;
            expected[at] = Math.fround(
              expected[at] + Math.fround(dy[p] * filter[(i * k + j) * ci + c]),
            );
          }
        }
      }
    }
    await useBackend("wasm");
    const dx = tf.conv2dTranspose(
      tf.tensor4d(dy, [n, side, side, 1]),
      tf.tensor4d(filter, filterShape),
      xShape,
      stride,
      pad,
    );
    assert.deepEqual(await dx.data(), expected, `side ${side}, stride ${stride}, ${ci} channels`);
    dx.dispose();
  }
});
