/**
 * Exclusive OS file locks between processes and workers. The operating system releases a lock
 * whose holder died, so a crash never leaves anything locked; the empty lock file stays.
 *
 * @module
 */

/** A held lock. */
export interface FileLock {
  release(): Promise<void>;
}

/**
 * Takes the lock on the file `path` (created if missing) if no one holds it; undefined when
 * another process or worker does. With `wait`, waits for it instead, calling `wait()` first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockFile } from "./file_lock.ts";
 *
 * const path = `${await Deno.makeTempDir()}/cell.lock`;
 * const held = await lockFile(path);
 * assert.ok(held);
 * assert.equal(await lockFile(path), undefined);
 * await held.release();
 * await (await lockFile(path))!.release();
 * ```
 */
export async function lockFile(path: string): Promise<FileLock | undefined>;
export async function lockFile(path: string, wait: () => void): Promise<FileLock>;
export async function lockFile(path: string, wait?: () => void): Promise<FileLock | undefined> {
  const file = await Deno.open(path, { write: true, create: true });
  try {
    if (!(await file.tryLock(true))) {
      if (!wait) {
        file.close();
        return undefined;
      }
      wait();
      await file.lock(true);
    }
  } catch (error) {
    file.close();
    throw error;
  }
  return {
    async release() {
      await file.unlock();
      file.close();
    },
  };
}
