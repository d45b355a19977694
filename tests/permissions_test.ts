import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_cli.ts";
import { serveLocally } from "./_serve.ts";

/**
 * A plugin module that, when imported, tries what gantry's tasks refuse to code from plugins,
 * prints what each attempt gave, and then exports a working loss. `outside` is a file beyond
 * the run directory; `origin` is the server it came from.
 */
function hostilePlugin(outside: string, origin: string): string {
  return `const attempts = {
  write: () => Deno.writeTextFileSync(${JSON.stringify(outside)}, "pwned"),
  run: () => new Deno.Command("id").outputSync(),
  env: () => Deno.env.get("GANTRY_TEST_SECRET"),
  net: () => fetch(${JSON.stringify(`${origin}/secret`)}),
  ffi: () => Deno.dlopen("libc.so.6", {}),
};
for (const [name, attempt] of Object.entries(attempts)) {
  let outcome;
  try {
    await attempt();
    outcome = "allowed";
  } catch (error) {
    outcome = error instanceof Deno.errors.NotCapable ? "refused" : "failed: " + error.message;
  }
  console.log("attempt " + name + " " + outcome);
}
export default {
  kind: "loss",
  name: "hostile-least-squares",
  create: ({ tf }) => ({
    discriminator: ({ real, fake }) =>
      tf.add(tf.mean(tf.square(tf.sub(real.logits, 1))), tf.mean(tf.square(fake.logits))),
    generator: ({ fake }) => tf.mean(tf.square(tf.sub(fake.logits, 1))),
  }),
};
`;
}

/** A loss whose generator step writes a file: refused in the middle of training. */
const WRITING_LOSS = `export default {
  kind: "loss",
  name: "writing-loss",
  create: ({ tf }) => ({
    discriminator: ({ real, fake }) =>
      tf.add(tf.mean(tf.softplus(tf.neg(real.logits))), tf.mean(tf.softplus(fake.logits))),
    generator: ({ fake }) => {
      Deno.writeTextFileSync(Deno.env.get("HOME") + "/gantry-was-here", "x");
      return tf.mean(tf.softplus(tf.neg(fake.logits)));
    },
  }),
};
`;

async function tinyConfig(dir: string, loss: string): Promise<string> {
  const path = join(dir, "config.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "sandboxed",
      dataset: "ring-8",
      backend: "cpu",
      loss,
      train: { steps: 4, batchSize: 8 },
    }),
  );
  return path;
}

Deno.test("a plugin from a URL can write only into the run, and cannot run, connect or load FFI", async () => {
  const dir = await Deno.makeTempDir();
  const outside = join(dir, "outside.txt");
  const files: Record<string, string> = {};
  const server = serveLocally((path) => Promise.resolve(files[path]));
  const host = `127.0.0.1:${server.addr.port}`;
  files["hostile.ts"] = hostilePlugin(outside, `http://${host}`);
  files["writing.ts"] = WRITING_LOSS;
  try {
    const config = await tinyConfig(dir, "hostile-least-squares");
    const out = join(dir, "run");
    const plugin = `http://${host}/hostile.ts`;

    // Not an allowed host: the import itself is refused, naming the host and the flag.
    const unlisted = await runCli(["train", config, "--out", out, "--plugin", plugin]);
    assert.equal(unlisted.code, 1);
    assert.match(unlisted.stderr, new RegExp(`refused import access to "${host}"`));
    assert.match(unlisted.stderr, new RegExp(`add --allow-import=${host} to the command`));
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);

    const env = { GANTRY_TEST_SECRET: "hunter2" };
    const allowed = await runCli(
      ["train", config, "--out", out, "--plugin", plugin, `--allow-import=${host}`],
      { env },
    );
    assert.equal(allowed.code, 0, allowed.stderr);
    for (const attempt of ["write", "run", "env", "net", "ffi"]) {
      assert.match(allowed.stdout, new RegExp(`attempt ${attempt} refused`));
    }
    await assert.rejects(() => Deno.stat(outside), Deno.errors.NotFound);
    const result = JSON.parse(await Deno.readTextFile(join(out, "result.json")));
    assert.equal(result.status, "ok");
    assert.equal(result.steps, 4);

    // Deno's flags given to the task widen the sandbox as far as they name.
    const widened = await runCli([
      "train",
      config,
      "--out",
      join(dir, "widened"),
      "--plugin",
      plugin,
      `--allow-import=${host}`,
      `--allow-write=${outside}`,
      "--allow-env=GANTRY_TEST_SECRET",
    ], { env });
    assert.equal(widened.code, 0, widened.stderr);
    assert.match(widened.stdout, /attempt write allowed/);
    assert.match(widened.stdout, /attempt env allowed/);
    assert.match(widened.stdout, /attempt run refused/);
    assert.equal(await Deno.readTextFile(outside), "pwned");

    // A refusal inside a plugin's hook fails the run and says what to allow.
    const writing = await runCli([
      "train",
      await tinyConfig(dir, "writing-loss"),
      "--out",
      join(dir, "writing"),
      "--plugin",
      `http://${host}/writing.ts`,
      `--allow-import=${host}`,
    ]);
    assert.equal(writing.code, 2, writing.stderr);
    assert.match(writing.stderr, /refused write access to ".*gantry-was-here"/);
    assert.match(writing.stderr, /add --allow-write=.*gantry-was-here to the command/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a permission flag without a value is refused before anything runs", async () => {
  const dir = await Deno.makeTempDir();
  const config = await tinyConfig(dir, "minimax");
  const { code, stderr } = await runCli([
    "train",
    config,
    "--out",
    join(dir, "run"),
    "--allow-net",
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /--allow-net needs a value \(--allow-net=VALUE/);
  await assert.rejects(() => Deno.stat(join(dir, "run")), Deno.errors.NotFound);
});
