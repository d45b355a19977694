/**
 * The WebGPU side of backend selection: which adapter `navigator.gpu` offers, and the device's
 * errors, which tfjs does not look at.
 *
 * @module
 */
import { tf } from "../../deps.ts";

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
export function watchDevice(): void {
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
