import assert from "node:assert/strict";
import { join, normalize } from "node:path";
import { runCli } from "./_cli.ts";
import { serveLocally } from "./_serve.ts";

const root = new URL("..", import.meta.url).pathname;

/** Serves the checkout read-only on 127.0.0.1, as a static host of mod.ts would. */
function serveCheckout(): Deno.HttpServer<Deno.NetAddr> {
  return serveLocally((path) =>
    Deno.readFile(join(root, normalize(`/${path}`))).catch(() => undefined)
  );
}

async function deno(args: string[], cwd: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("mod.ts imported by URL trains, and a plugin module loads from a URL", async () => {
  const server = serveCheckout();
  const host = `127.0.0.1:${server.addr.port}`;
  // A directory outside the checkout: no deno.json, no import map, as for a user.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "use_gantry.ts"),
      `import { builtinRegistry, loadPluginModules, train } from "http://${host}/mod.ts";
const registry = builtinRegistry();
await loadPluginModules(["http://${host}/examples/least_squares.ts"], registry);
const result = await train(
  { dataset: "ring-8", backend: "cpu", loss: "least-squares", train: { steps: 3, batchSize: 8 } },
  { registry },
);
console.log(JSON.stringify({ status: result.status, steps: result.steps }));
`,
    );
    const { code, stdout, stderr } = await deno([
      "run",
      "--no-lock",
      `--allow-import=${host}`,
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "use_gantry.ts",
    ], dir);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), { status: "ok", steps: 3 });
    // Without --allow-import for the host, Deno refuses the code: the URL allowlist.
    const refused = await deno(
      ["run", "--no-lock", "--allow-read", "--allow-env", "use_gantry.ts"],
      dir,
    );
    assert.notEqual(refused.code, 0);
    assert.ok(refused.stderr.includes(`Requires import access to "${host}`), refused.stderr);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a user's input-gradient penalty loads from a URL and trains through the CLI", async () => {
  const server = serveCheckout();
  const host = `127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        name: "zero-gp",
        dataset: "ring-8",
        backend: "cpu",
        loss: "wasserstein",
        regularizers: [{ name: "zero-centered-penalty", options: { lambda: 5 } }],
        train: { steps: 4, batchSize: 8 },
      }),
    );
    const out = join(dir, "run");
    const { code, stderr } = await runCli([
      "train",
      config,
      "--out",
      out,
      "--plugin",
      `http://${host}/examples/zero_centered_penalty.ts`,
      `--allow-import=${host}`,
    ]);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(await Deno.readTextFile(join(out, "result.json")));
    assert.equal(result.status, "ok");
    assert.ok(
      Number.isFinite(JSON.parse(await Deno.readTextFile(join(out, "metrics.jsonl"))).dLoss),
    );
  } finally {
    await server.shutdown();
  }
});
