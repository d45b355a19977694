/**
 * Backend selection: `auto` takes WebGPU when `navigator.gpu` gives a hardware adapter (and
 * falls back to WASM, saying why, if that adapter's device will not start), else WASM; `cpu`
 * only on request. A software adapter (Mesa's lavapipe, SwiftShader) is used only
 * when `webgpu` is asked for: it emulates the GPU on the CPU and trains the ring MLP about 8x
 * slower than WASM (measured: 0.4 s against 0.05 s per step).
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { registerConvolution } from "./convolution.ts";
import { registerGradients } from "./gradients.ts";
import { registerMatrixProduct } from "./matrix_product.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { startThreadedWasm, wasmThreads } from "./wasm_threads.ts";
import { watchDevice, webgpuAdapter } from "./webgpu.ts";

/** A backend name as a config writes it. */
export type BackendName = "auto" | "webgpu" | "wasm" | "cpu";

/** The backend a run actually uses. */
export interface BackendInfo {
  name: "webgpu" | "wasm" | "cpu";
  /** The WebGPU adapter's description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapter?: string;
  /** wasm's thread count. */
  threads?: number;
}

/** Which backend a request resolves to, given the adapter WebGPU offers (if any). */
export function chooseBackend(
  requested: BackendName,
  adapter: { name: string; software: boolean } | undefined,
): BackendInfo {
  if (requested === "webgpu" && !adapter) {
    throw new Error(
      'Cannot use backend "webgpu": navigator.gpu offers no adapter (for a software adapter ' +
        "install Mesa's lavapipe: apt-get install -y mesa-vulkan-drivers)",
    );
  }
  const useGpu = requested === "webgpu" || (requested === "auto" && adapter && !adapter.software);
  if (useGpu) return { name: "webgpu", adapter: adapter!.name };
  return { name: requested === "cpu" ? "cpu" : "wasm" };
}

/**
 * Switches tfjs to the requested backend (resolving `auto`: WebGPU on a hardware adapter, else
 * WASM, with `threads` threads) and returns what was chosen. Throws when an explicitly requested
 * backend cannot start, or when wasm already runs in this process with another thread count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { useBackend } from "./select.ts";
 *
 * const backend = await useBackend("cpu");
 * assert.ok(backend.name === "cpu");
 * ```
 */
export async function useBackend(requested: BackendName, threads = 1): Promise<BackendInfo> {
  const adapter = requested === "auto" || requested === "webgpu"
    ? await webgpuAdapter()
    : undefined;
  const chosen = chooseBackend(requested, adapter);
  try {
    await startBackend(chosen.name, threads);
  } catch (error) {
    if (requested !== "auto" || chosen.name !== "webgpu") throw error;
    console.error(`gantry: ${(error as Error).message}; using wasm instead`);
    await startBackend("wasm", threads);
    return { name: "wasm", threads };
  }
  if (chosen.name === "webgpu") watchDevice();
  return chosen.name === "wasm" ? { ...chosen, threads } : chosen;
}

/**
 * Makes `name` tfjs's backend (wasm with `threads` threads), with gantry's kernels registered for
 * it first: on wasm its own (`wasm_kernels.ts`), on every backend the one-kernel dense product and
 * convolution (`matrix_product.ts`, `convolution.ts`). When it cannot start, throws with
 * the reason tfjs only logs. tfjs's console advice (e.g. "install tfjs-node") is not for gantry's
 * users: it stays silent. tfjs starts wasm once a process (or Deno worker), so its thread count
 * is that of the first start.
 */
export async function startBackend(name: string, threads = 1): Promise<void> {
  registerGradients();
  if (name === "wasm") registerWasmKernels();
  registerMatrixProduct(name);
  registerConvolution(name);
  if (name !== "wasm") return await setBackend(name);
  if (tf.findBackend("wasm")) {
    await setBackend("wasm");
    if (wasmThreads() !== threads) {
      throw new Error(
        `Cannot use wasm with ${threads} thread(s): this process started it with ` +
          `${wasmThreads()}, and tfjs starts wasm once a process`,
      );
    }
  } else if (threads > 1) await startThreadedWasm(threads, () => setBackend("wasm"));
  else await setBackend("wasm");
}

async function setBackend(name: string): Promise<void> {
  const logged: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => logged.push(args.join(" "));
  tf.env().set("PROD", false);
  let started: boolean;
  try {
    started = await tf.setBackend(name);
  } finally {
    tf.env().set("PROD", true);
    console.warn = warn;
  }
  if (!started) {
    // tfjs logs "Initialization of backend x failed", then the error's stack.
    const reason = logged.filter((line) => !/^Initialization of backend/.test(line))
      .map((line) => line.split("\n")[0]).join("; ");
    throw new Error(`Cannot use backend "${name}": ${reason || "tfjs failed to initialise it"}`);
  }
}
