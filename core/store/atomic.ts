/**
 * Atomic file writes: a temp file in the same directory, flushed to disk, then a rename (and
 * the directory flushed), so a reader, a crash or a power loss never sees half a file.
 *
 * @module
 */
import { dirname } from "node:path";

/** Writes `data` to `path` and flushes it to disk before returning. */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    for (let offset = 0; offset < bytes.length;) {
      offset += await file.write(bytes.subarray(offset));
    }
    await file.sync();
  } finally {
    file.close();
  }
}

/** Flushes a directory's entries (files created or renamed in it) to disk. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await Deno.open(path, { read: true });
  try {
    await directory.sync();
  } finally {
    directory.close();
  }
}

/** Writes `data` to `path` atomically. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await writeFileSynced(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Writes `value` as pretty JSON to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Puts the directory `temp` in the place of `final` by renames, so that a reader finds the old
 * one or the new one, whole: `final` becomes `final.old`, `temp` becomes `final`, the parent is
 * flushed, and `final.old` goes. After a crash between the two renames only `final.old` is
 * there; readers may fall back to it. `temp` must already be flushed to disk.
 */
export async function swapDirectory(temp: string, final: string): Promise<void> {
  const old = `${final}.old`;
  await Deno.remove(old, { recursive: true }).catch(() => {});
  await Deno.rename(final, old).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.rename(temp, final);
  await syncDirectory(dirname(final));
  await Deno.remove(old, { recursive: true }).catch(() => {});
}
