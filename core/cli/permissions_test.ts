import assert from "node:assert/strict";
import { GANTRY_ENV, sandbox, SWITCHES } from "./permissions.ts";

const names: Record<string, string> = { "c.json": "ring", "g.json": "grid", "bad.json": "../up" };
const writes = (args: string[]) =>
  sandbox(args, { cacheDir: "/cache", nameOf: (file) => names[file] }).denoFlags
    .find((flag) => flag.startsWith("--allow-write="));

Deno.test("each command may write only where it writes, and gantry's cache", () => {
  assert.equal(writes(["train", "c.json"]), "--allow-write=runs/ring,/cache");
  assert.equal(writes(["ablate", "g.json"]), "--allow-write=runs/grid,/cache");
  // A name that is not a directory name (the config will be refused) or none: all of runs/.
  assert.equal(writes(["train", "bad.json"]), "--allow-write=runs,/cache");
  assert.equal(writes(["train", "c.ts"]), "--allow-write=runs,/cache");
  assert.equal(writes(["train", "c.json", "--out=/r", "--resume"]), "--allow-write=/r,/cache");
  assert.equal(
    writes(["ablate", "g.json", "--workers", "2", "--out", "/g"]),
    "--allow-write=/g,/cache",
  );
  assert.equal(writes(["report", "/a", "/b"]), "--allow-write=/a");
  assert.equal(writes(["report", "/a", "/b", "--out", "/m"]), "--allow-write=/m");
  assert.equal(writes(["eval", "--metrics", "fd", "/run"]), "--allow-write=/run,/cache");
  // sample and report never train a classifier: no cache.
  assert.equal(writes(["sample", "/run", "--n", "9"]), "--allow-write=/run");
  assert.equal(writes(["sample", "/run", "--out", "/pics/a,b.png"]), "--allow-write=/pics");
  assert.equal(
    writes(["ablate", "g.json", "--exit-zero", "--out", "/x"]),
    "--allow-write=/x,/cache",
  );
  assert.throws(() => writes(["sample", "/run", "--out", "/p,q/a.png"]), /a path with a comma/);
  assert.equal(
    sandbox(["plugins"], { cacheDir: "/c" }).denoFlags.find((f) => f.includes("write")),
    undefined,
  );
});

Deno.test("the sandbox grants no subprocess, network or FFI unless asked, and -A grants all", () => {
  const { denoFlags, args } = sandbox(["train", "c.json", "--allow-run", "id", "-A"]);
  assert.deepEqual(denoFlags, ["-A"]);
  assert.deepEqual(args, ["train", "c.json"]);
  const plain = sandbox(["train", "c.json"]).denoFlags;
  assert.ok(plain.includes("--no-prompt"));
  assert.deepEqual(plain.filter((flag) => /^--allow-(run|net|ffi|all)|^-A$/.test(flag)), []);
  const asked = sandbox(
    ["train", "c.json", "--allow-net=example.org:443", "--allow-run", "id"],
  );
  assert.ok(asked.denoFlags.includes("--allow-net=example.org:443"));
  assert.ok(asked.denoFlags.includes("--allow-run=id"));
  assert.throws(() => sandbox(["train", "--allow-everything=1"]), /Unknown permission flag/);
});

Deno.test("every environment variable gantry's sources read is in the sandbox's list", async () => {
  const root = new URL("../../", import.meta.url);
  const read = new Set<string>();
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory && !["runs", "tests", "bench", ".git"].includes(entry.name)) {
        await walk(url);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        const source = await Deno.readTextFile(url);
        for (const [, name] of source.matchAll(/\b(?:env|read|Deno\.env\.get)\("([A-Z_]+)"\)/g)) {
          read.add(name);
        }
      }
    }
  };
  await walk(root);
  assert.ok(read.has("SLURM_ARRAY_TASK_ID") && read.has("GANTRY_CACHE"), [...read].join());
  assert.deepEqual(
    [...read].filter((name) => !(GANTRY_ENV as readonly string[]).includes(name)),
    [],
  );
});

Deno.test("no output may hold gantry's code or the home directory: plugins would write there", () => {
  const context = { checkout: "/home/me/gantry", home: "/home/me" };
  const refused = [
    ["sample", "/run", "--out", "/home/me/gantry/drawn.png"],
    ["train", "c.json", "--out", "/home/me/gantry"],
    ["train", "c.json", "--out", "/home/me/gantry/core"],
    ["ablate", "g.json", "--out", "/home"],
    ["report", "/a", "--out", "/home/me"],
    ["eval", "/"],
  ];
  for (const args of refused) {
    assert.throws(
      () => sandbox(args, context),
      /Cannot write to .*: it (holds|is inside)/,
      args.join(" "),
    );
  }
  for (const out of ["/home/me/gantry/runs/x", "/home/me/runs", "/tmp/r"]) {
    assert.ok(
      sandbox(["train", "c.json", "--out", out], context).denoFlags.includes(
        `--allow-write=${out}`,
      ),
    );
  }
});

Deno.test("the sandbox's switches are the commands' boolean flags", async () => {
  const commands = new URL("./", import.meta.url);
  const booleans = new Set(["--help"]);
  for await (const entry of Deno.readDir(commands)) {
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(entry.name, commands));
    for (const [, list] of source.matchAll(/boolean: \[([^\]]*)\]/g)) {
      for (const [, flag] of list.matchAll(/"([a-z-]+)"/g)) booleans.add(`--${flag}`);
    }
  }
  assert.deepEqual([...booleans].sort(), [...SWITCHES].sort());
});
