/**
 * Backend selection: `auto` takes WebGPU when `navigator.gpu` gives an adapter, else WASM;
 * `cpu` only on request.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";

/** A backend name as a config writes it. */
export type BackendName = "auto" | "webgpu" | "wasm" | "cpu";

/** The backend a run actually uses. */
export interface BackendInfo {
  name: "webgpu" | "wasm" | "cpu";
  /** The WebGPU adapter's description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapter?: string;
}

interface AdapterInfoLike {
  description?: string;
  device?: string;
  vendor?: string;
  architecture?: string;
}

/** The name of the WebGPU adapter this process would get, or undefined when there is none. */
export async function webgpuAdapterName(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter().catch(() => null) as { info?: AdapterInfoLike } | null;
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  return [info.description, info.device, info.vendor, info.architecture].find((s) => s) ??
    "unnamed adapter";
}

/**
 * Switches tfjs to the requested backend (resolving `auto`) and returns what was chosen.
 * Throws when an explicitly requested backend cannot start.
 */
export async function useBackend(requested: BackendName): Promise<BackendInfo> {
  const adapter = requested === "auto" || requested === "webgpu"
    ? await webgpuAdapterName()
    : undefined;
  if (requested === "webgpu" && !adapter) {
    throw new Error(
      'Cannot use backend "webgpu": navigator.gpu offers no adapter (for a software adapter ' +
        "install Mesa's lavapipe: apt-get install -y mesa-vulkan-drivers)",
    );
  }
  // PROD silences tfjs's console advice (e.g. "install tfjs-node"), which is not for us.
  tf.env().set("PROD", true);
  const name = requested === "auto" ? (adapter ? "webgpu" : "wasm") : requested;
  if (name === "wasm") registerWasmKernels();
  if (!(await tf.setBackend(name))) {
    throw new Error(`Cannot use backend "${name}": tfjs failed to initialise it`);
  }
  return name === "webgpu" ? { name, adapter } : { name };
}
