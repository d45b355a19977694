import assert from "node:assert/strict";
import { aPanelsSize, type Stored, writePanels } from "./wasm_panels.ts";
import { simdKernels } from "./wasm_simd.ts";

const memory = new WebAssembly.Memory({ initial: 64 });
const kernels = simdKernels(memory);
const heap = new Float32Array(memory.buffer);
const [FROM, TO] = [0, 1 << 21]; // byte offsets of the matrix and of its panels

/** Writes L [k, columns] (L[t][j] = 1000·t + j), stored as asked, at FROM. */
function store(k: number, columns: number, stored: Stored) {
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < columns; j++) {
      heap[(FROM >> 2) + (stored === "as is" ? t * columns + j : j * k + t)] = 1000 * t + j;
    }
  }
}

/** Asserts that column j of L sits in its panel: `first` its panel's first column, `width` its row. */
function assertPanels(
  k: number,
  columns: number,
  panelOf: (j: number) => { first: number; width: number },
  label: string,
) {
  for (let j = 0; j < columns; j++) {
    const { first, width } = panelOf(j);
    for (let t = 0; t < k; t++) {
      const at = (TO >> 2) + first * k + t * width + j - first;
      if (heap[at] !== 1000 * t + j) {
        assert.fail(`${label}: L[${t}][${j}] is ${heap[at]} in its panel, not ${1000 * t + j}`);
      }
    }
  }
}

Deno.test("B's panels: 8 columns wide, then 4, then one, from B and from Bᵀ", () => {
  for (const k of [1, 3, 4, 7, 130]) {
    for (let n = 1; n <= 21; n++) {
      for (const stored of ["as is", "transposed"] as const) {
        store(k, n, stored);
        writePanels("b", kernels, heap, [FROM, TO], [k, n], stored);
        const eights = n >> 3 << 3;
        assertPanels(
          k,
          n,
          (j) =>
            j < eights
              ? { first: j >> 3 << 3, width: 8 }
              : j < (n & ~3)
              ? { first: eights, width: 4 }
              : { first: j, width: 1 },
          `k ${k}, n ${n}, B ${stored}`,
        );
      }
    }
  }
});

Deno.test("A's panels: 4 rows wide, the last padded to 4, from A and from Aᵀ", () => {
  for (const k of [1, 2, 5, 129]) {
    for (let m = 1; m <= 11; m++) {
      // L is aᵀ [k, m]: a [m, k] is L transposed, a held as aᵀ is L as is.
      for (const stored of ["as is", "transposed"] as const) {
        store(k, m, stored);
        // Nothing past the panels' aPanelsSize floats is written.
        const end = (TO >> 2) + aPanelsSize(m, k);
        heap.fill(-1, end, end + 64);
        writePanels("a", kernels, heap, [FROM, TO], [k, m], stored);
        assertPanels(k, m, (j) => ({ first: j & ~3, width: 4 }), `k ${k}, m ${m}, A ${stored}`);
        assert.ok(
          heap.subarray(end, end + 64).every((v) => v === -1),
          `k ${k}, m ${m}: past the end`,
        );
      }
    }
  }
});
