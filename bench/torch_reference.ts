/**
 * The PyTorch side of `deno task bench`: `torch_reference.py --serve`, started once per model and
 * asked for a window of its steps after each of gantry's windows, so that every ratio compares the
 * two over the same minutes of a shared machine, and they never compete for the CPU.
 *
 * @module
 */

/** A running reference. */
export interface TorchReference {
  /** Runs `steps` steps; resolves to their ms a step, as the reference timed them. */
  window(steps: number): Promise<number>;
  /** Ends the reference. */
  close(): Promise<void>;
}

/** What the reference runs: the bench's model, its batch and thread count. */
export interface ReferenceModel {
  model: string;
  batch: number;
  threads: number;
  /**
   * The script, relative to this file. Default: `GANTRY_TORCH_REFERENCE` (the GPU check names
   * it, as a compiled binary's files are not on disk for python), else `torch_reference.py`.
   */
  script?: string;
}

const PYTHON = "/usr/bin/python3";

/** Starts the reference and waits for its warm-up, or says why it cannot run. */
export async function startTorchReference(
  { model, batch, threads, script: name }: ReferenceModel,
): Promise<TorchReference | string> {
  const script = new URL(
    name ?? Deno.env.get("GANTRY_TORCH_REFERENCE") ?? "./torch_reference.py",
    import.meta.url,
  );
  try {
    await Deno.stat(script);
  } catch {
    return `${script.pathname} is missing`;
  }
  const args = ["--model", model, "--threads", String(threads), "--batch", String(batch)];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(PYTHON, {
      args: [script.pathname, ...args, "--serve"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return `cannot run ${PYTHON}: ${error instanceof Error ? error.message : error}`;
  }
  const input = child.stdin.getWriter();
  const lines = readLines(child.stdout);
  const stderr = new Response(child.stderr).text();
  const reply = async () => {
    const line = await lines.next();
    if (line.done) {
      const reason = (await stderr).trim().split("\n").at(-1) ?? "";
      throw new Error(`the reference stopped: ${reason}`);
    }
    return JSON.parse(line.value);
  };
  try {
    await reply(); // {"ready": true}, after its warm-up
  } catch (error) {
    await child.status;
    return (error as Error).message;
  }
  return {
    async window(steps) {
      await input.write(new TextEncoder().encode(`${steps}\n`));
      return (await reply()).msPerStep;
    },
    async close() {
      await input.close().catch(() => {}); // one that stopped has closed its input already
      await child.status;
      await stderr;
    },
  };
}

/** The lines of a byte stream, as they arrive. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + text).split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
  if (pending) yield pending;
}
