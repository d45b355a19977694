/**
 * The results.jsonl format: one line per finished cell of a grid, appended whole.
 *
 * @module
 */
import { parseRecord, recordJson, type RunResult } from "../store/run_records.ts";

/** One line of results.jsonl. */
export interface ResultLine {
  cellId: string;
  label: string;
  overrides: Record<string, unknown>;
  seed: number;
  status: RunResult["status"];
  seconds: number;
  backend: string;
  /** The final values of the cell's metrics. */
  metrics: Record<string, number>;
  /** The cell's position in the grid's declared order. */
  index: number;
  error?: string;
}

/**
 * Appends one line with a single O_APPEND write: shards appending to one local file never
 * interleave. A line torn by a crash (no newline at the end of the file) is ended first, in the
 * same write, so the new line stays whole.
 */
export async function appendResult(path: string, line: ResultLine): Promise<void> {
  const file = await Deno.open(path, { read: true, append: true, create: true });
  try {
    const { size } = await file.stat();
    const last = new Uint8Array(1);
    if (size > 0) {
      await file.seek(size - 1, Deno.SeekMode.Start);
      await file.read(last);
    }
    const torn = size > 0 && last[0] !== 0x0a;
    const bytes = new TextEncoder().encode(`${torn ? "\n" : ""}${recordJson(line)}\n`);
    const written = await file.write(bytes);
    if (written !== bytes.length) throw new Error(`Short write to ${path}`);
  } finally {
    file.close();
  }
}

/**
 * The lines of a results.jsonl (none when it does not exist). A line torn by a crash (the start
 * of a result that does not parse) is skipped, so its cell runs again; any other bad line is an
 * error naming the file and line.
 */
export async function readResults(path: string): Promise<ResultLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.flatMap((line, i) => {
    try {
      return [parseRecord(line) as ResultLine];
    } catch (error) {
      const start = '{"cellId":';
      if (line.startsWith(start) || start.startsWith(line)) return [];
      throw new SyntaxError(`Cannot parse ${path} line ${i + 1}: ${(error as Error).message}`);
    }
  });
}
