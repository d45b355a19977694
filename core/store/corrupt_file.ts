/**
 * A file that exists (or should) but does not hold what was written there: truncated, torn,
 * or from something else. Readers that can start afresh catch this error and no other, so a
 * transient failure (a full disk, too many open files) is never taken for corruption.
 *
 * @module
 */

/** A file missing from a set, or whose content is not what its writer writes; names the file. */
export class CorruptFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptFileError";
  }
}

/** JSON.parse of `text`, read from `path`; a syntax error is a {@linkcode CorruptFileError}. */
export function parseJsonFile(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptFileError(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** The text of `path`, which a set of files must hold: missing, it is a {@linkcode CorruptFileError}. */
export async function readMemberFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new CorruptFileError(`${path} is missing`);
    throw error;
  }
}
