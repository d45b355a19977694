/**
 * The README's Slurm recipe on a real Slurm: munged, slurmctld and slurmd started here on
 * localhost (one node, no cgroups), examples/slurm/ablate.sbatch submitted as an array of 3 over
 * a small grid, the shards merged by `deno task report` and compared with an unsharded run.
 * Without Debian's slurm-wlm and munge the test is ignored, unless GANTRY_REQUIRE_SLURM is set,
 * as CI does. Every daemon it starts is stopped by its PID.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { readResults } from "../core/ablate/results.ts";
import { runCli } from "./_cli.ts";

const root = new URL("..", import.meta.url).pathname;
const SCRIPT = join(root, "examples/slurm/ablate.sbatch");
const DAEMONS = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd"];
const haveSlurm = DAEMONS.every((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

/** A TCP port free now on localhost. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A one-node cluster in `dir`: the config, its daemons' logs, and the environment to reach it. */
function clusterConfig(dir: string): { conf: string; env: Record<string, string> } {
  const host = Deno.hostname();
  const conf = join(dir, "slurm.conf");
  Deno.writeTextFileSync(
    conf,
    [
      "ClusterName=gantry-test",
      `SlurmctldHost=${host}(127.0.0.1)`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${join(dir, "munge.socket")}`,
      "CredType=cred/munge",
      `SlurmctldPort=${freePort()}`,
      `SlurmdPort=${freePort()}`,
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "slurmd.log")}`,
      // No cgroups in a container: processes are tracked by their parents.
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "MpiDefault=none",
      "ReturnToService=2",
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${navigator.hardwareConcurrency} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    ].join("\n") + "\n",
  );
  Deno.mkdirSync(join(dir, "state"));
  Deno.mkdirSync(join(dir, "spool"));
  // The job finds deno where this test's Deno is.
  const path = `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`;
  return { conf, env: { SLURM_CONF: conf, PATH: path } };
}

/** Runs a command to its end; its stdout, or a failed assertion with both streams. */
async function output(cmd: string, args: string[], options: Deno.CommandOptions = {}) {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.equal(code, 0, `${cmd} ${args.join(" ")}: exit ${code}\n${text(stdout)}${text(stderr)}`);
  return text(stdout);
}

/** Waits for `ready`, polling; fails with `what` and the logs in `dir` after `seconds`. */
async function waitFor(what: string, ready: () => Promise<boolean>, dir: string, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) {
      const logs = [...Deno.readDirSync(dir)].filter((e) => /\.(log|out)$/.test(e.name))
        .map((e) => `--- ${e.name}\n${Deno.readTextFileSync(join(dir, e.name)).slice(-2000)}`);
      assert.fail(`${what} within ${seconds} s\n${logs.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const grid = {
  name: "slurm-grid",
  base: {
    dataset: "ring-8",
    backend: "cpu",
    architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
    train: { steps: 30, batchSize: 16, logEvery: 10 },
    evaluate: { every: 30, metrics: [{ name: "mode-coverage", options: { samples: 300 } }] },
  },
  axes: { loss: ["minimax", "non-saturating", "hinge"] },
  seeds: [1, 2],
};

Deno.test({
  name: "the README's sbatch script as a Slurm array of 3 gives the unsharded summary",
  ignore: !haveSlurm && !Deno.env.get("GANTRY_REQUIRE_SLURM"),
  fn: async () => {
    const readme = await Deno.readTextFile(join(root, "README.md"));
    const script = await Deno.readTextFile(SCRIPT);
    assert.ok(
      readme.includes("```sh\n" + script + "```"),
      "README does not show the sbatch script",
    );

    const dir = await Deno.makeTempDir({ prefix: "gantry-slurm-" });
    const { conf, env } = clusterConfig(dir);
    const key = join(dir, "munge.key");
    Deno.writeFileSync(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o400 });
    const daemons: Deno.ChildProcess[] = [];
    // In the foreground, so that each is this test's child; they log to files in `dir`.
    const start = (cmd: string, args: string[]) =>
      daemons.push(new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).spawn());
    try {
      start("/usr/sbin/munged", [
        "--foreground",
        "--force",
        `--socket=${join(dir, "munge.socket")}`,
        `--key-file=${key}`,
        `--log-file=${join(dir, "munged.log")}`,
        `--pid-file=${join(dir, "munged.pid")}`,
        `--seed-file=${join(dir, "munged.seed")}`,
      ]);
      await waitFor(
        "munged's socket",
        async () => !!(await Deno.stat(join(dir, "munge.socket"))),
        dir,
      );
      start("/usr/sbin/slurmctld", ["-D", "-i", "-f", conf]);
      start("/usr/sbin/slurmd", ["-D", "-N", Deno.hostname(), "-f", conf]);
      await waitFor(
        "an idle node",
        async () => (await output("sinfo", ["-h", "-o", "%T"], { env })).trim() === "idle",
        dir,
      );

      const gridPath = join(dir, "grid.json");
      await Deno.writeTextFile(gridPath, JSON.stringify(grid));
      const out = join(dir, "sharded");
      await output("sbatch", [
        "--wait",
        "--array=0-2",
        "--cpus-per-task=1",
        `--output=${join(dir, "task-%a.out")}`,
        SCRIPT,
        gridPath,
        out,
      ], { env, cwd: root, signal: AbortSignal.timeout(600_000) }).catch((error) => {
        const tasks = [0, 1, 2].map((i) => {
          try {
            return Deno.readTextFileSync(join(dir, `task-${i}.out`)).slice(-1500);
          } catch {
            return "(no output)";
          }
        });
        throw new Error(`${error.message}\n${tasks.join("\n---\n")}`);
      });
      // Each task trained its own slice: two of the six cells.
      const shards = [0, 1, 2].map((i) => join(out, `shard-${i}`));
      const slices = await Promise.all(
        shards.map(async (d) => (await readResults(join(d, "results.jsonl"))).map((r) => r.index)),
      );
      assert.deepEqual(slices.map((s) => s.sort((a, b) => a - b)), [[0, 3], [1, 4], [2, 5]]);

      const merged = await runCli(["report", ...shards, "--out", out]);
      assert.equal(merged.code, 0, merged.stderr);
      const whole = join(dir, "whole");
      const unsharded = await runCli(["ablate", gridPath, "--out", whole]);
      assert.equal(unsharded.code, 0, unsharded.stderr);
      assert.equal(
        await Deno.readTextFile(join(out, "summary.md")),
        await Deno.readTextFile(join(whole, "summary.md")),
      );
    } finally {
      for (const daemon of daemons.reverse()) {
        try {
          daemon.kill("SIGTERM");
        } catch { /* already gone */ }
        await daemon.status;
      }
    }
  },
});
