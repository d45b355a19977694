/**
 * Backend selection: `auto` takes WebGPU when `navigator.gpu` gives a hardware adapter (and
 * falls back to WASM, saying why, if that adapter's device will not start), else WASM; `cpu`
 * only on request. A software adapter (Mesa's lavapipe, SwiftShader) is used only
 * when `webgpu` is asked for: it emulates the GPU on the CPU and trains the ring MLP about 8x
 * slower than WASM (measured: 0.4 s against 0.05 s per step).
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

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { description?: string; device?: string; vendor?: string; architecture?: string };
}

/** The WebGPU adapter this process would get, if any, and whether it emulates a GPU. */
export async function webgpuAdapter(): Promise<{ name: string; software: boolean } | undefined> {
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(options: { powerPreference: string }): Promise<unknown> };
  })?.gpu;
  if (!gpu) return undefined;
  // Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid" at every adapter request when the
  // variable is unset (in containers and CI); a private directory silences them.
  if (Deno.build.os === "linux" && !Deno.env.get("XDG_RUNTIME_DIR")) {
    const dir = `/tmp/gantry-runtime-${Deno.uid() ?? "user"}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  }
  // The options tfjs's WebGPU backend asks with, so this is the adapter it will use.
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" })
    .catch(() => null) as AdapterLike | null;
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const name = [info.description, info.device, info.vendor, info.architecture].find((s) => s) ??
    "unnamed adapter";
  const software = adapter.isFallbackAdapter === true ||
    /llvmpipe|lavapipe|swiftshader|software/i.test(name);
  return { name, software };
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
 * Switches tfjs to the requested backend (resolving `auto`) and returns what was chosen.
 * Throws when an explicitly requested backend cannot start.
 */
export async function useBackend(requested: BackendName): Promise<BackendInfo> {
  const adapter = requested === "auto" || requested === "webgpu"
    ? await webgpuAdapter()
    : undefined;
  const chosen = chooseBackend(requested, adapter);
  try {
    await startBackend(chosen.name);
  } catch (error) {
    if (requested !== "auto") throw error;
    console.error(`gantry: ${(error as Error).message}; using wasm instead`);
    await startBackend("wasm");
    return { name: "wasm" };
  }
  if (chosen.name === "webgpu") watchDevice();
  return chosen;
}

/**
 * Makes `name` tfjs's backend; when it cannot start, throws with the reason tfjs only logs.
 * tfjs's console advice (e.g. "install tfjs-node") is not for gantry's users: it stays silent.
 */
export async function startBackend(name: string): Promise<void> {
  if (name === "wasm") registerWasmKernels();
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

interface DeviceLike extends EventTarget {
  lost: Promise<{ message: string }>;
}

const watched = new WeakSet<object>();
const deviceErrors: string[] = [];

/**
 * Collects the WebGPU device's uncaptured errors (validation, out of memory) and its loss. tfjs
 * does not look at them, so a failed kernel would silently read back as zeros; the engine calls
 * {@linkcode throwDeviceErrors} at every read-back instead. Pipelines carry tfjs's program name
 * as their label, which WebGPU's messages quote, so an error names the op that failed.
 */
function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: DeviceLike }).device;
  if (!device || watched.has(device)) return;
  watched.add(device);
  device.addEventListener("uncapturederror", (event) => {
    event.preventDefault();
    const error = (event as Event & { error?: { message?: string; constructor: { name: string } } })
      .error;
    deviceErrors.push(`${error?.constructor.name ?? "GPUError"}: ${error?.message ?? "unknown"}`);
  });
  device.lost.then((info) => deviceErrors.push(`GPU device lost: ${info.message}`));
}

/** Throws (once) the WebGPU device errors collected since the last call, if any. */
export function throwDeviceErrors(): void {
  if (!deviceErrors.length) return;
  const errors = deviceErrors.splice(0);
  throw new Error(`WebGPU device error: ${errors.join("; ")}`);
}
