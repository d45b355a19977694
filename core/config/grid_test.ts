import assert from "node:assert/strict";
import { builtinRegistry } from "../../builtins.ts";
import { ConfigError } from "../contract/errors.ts";
import { expandGrid, parseGrid, setPath } from "./grid.ts";

const base = {
  dataset: "ring-8",
  architecture: "mlp",
  train: { steps: 10 },
};

Deno.test("a grid is the product of its axes times the seeds, in declared order", async () => {
  const cells = await expandGrid(
    parseGrid({
      name: "g",
      base,
      axes: {
        loss: ["minimax", "non-saturating"],
        "discriminator.addons": [[], ["minibatch-discrimination"]],
      },
      seeds: [1, 2],
    }),
    builtinRegistry(),
  );
  assert.deepEqual(cells.map((c) => c.label), [
    "loss=minimax,addons=none,seed=1",
    "loss=minimax,addons=none,seed=2",
    "loss=minimax,addons=minibatch-discrimination,seed=1",
    "loss=minimax,addons=minibatch-discrimination,seed=2",
    "loss=non-saturating,addons=none,seed=1",
    "loss=non-saturating,addons=none,seed=2",
    "loss=non-saturating,addons=minibatch-discrimination,seed=1",
    "loss=non-saturating,addons=minibatch-discrimination,seed=2",
  ]);
  assert.deepEqual(cells.map((c) => c.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(cells[2].label, "loss=minimax,addons=minibatch-discrimination,seed=1");
  assert.deepEqual(cells[2].config.discriminator.addons, [
    { name: "minibatch-discrimination", options: { kernels: 100, dims: 5 } },
  ]);
  assert.equal(cells[5].config.seed, 2);
  assert.equal(cells[5].config.name, "g");
  assert.equal(new Set(cells.map((c) => c.id)).size, 8);
});

Deno.test("cell ids are stable hashes of the resolved config", async () => {
  const expand = (grid: unknown) => expandGrid(parseGrid(grid), builtinRegistry());
  const [a] = await expand({ name: "g", base, axes: { "train.dSteps": [2] }, seeds: [3] });
  // The same resolved config written differently (defaults spelled out) has the same id.
  const [b] = await expand({
    name: "g",
    base: { ...base, seed: 3, train: { steps: 10, dSteps: 2, batchSize: 64 } },
  });
  assert.equal(a.id, b.id);
  assert.match(a.id, /^[0-9a-f]{16}$/);
  const [c] = await expand({ name: "g", base, axes: { "train.dSteps": [3] }, seeds: [3] });
  assert.notEqual(a.id, c.id);
});

Deno.test("include adds combinations, exclude drops the matching ones", async () => {
  const cells = await expandGrid(
    parseGrid({
      name: "g",
      base,
      axes: { loss: ["minimax", "non-saturating"], "train.dSteps": [1, 2] },
      exclude: [{ loss: "minimax", "train.dSteps": 2 }],
      include: [{ loss: "feature-matching", "train.dSteps": 5 }, {
        loss: "minimax",
        "train.dSteps": 1,
      }],
    }),
    builtinRegistry(),
  );
  assert.deepEqual(cells.map((c) => c.label), [
    "loss=minimax,dSteps=1,seed=1",
    "loss=non-saturating,dSteps=1,seed=1",
    "loss=non-saturating,dSteps=2,seed=1",
    "loss=feature-matching,dSteps=5,seed=1",
  ]);
  assert.deepEqual(cells.map((c) => c.seed), [1, 1, 1, 1]);
});

Deno.test("a path through a plugin named by a bare string turns it into { name }", () => {
  const config: Record<string, unknown> = { architecture: "mlp" };
  setPath(config, "architecture.options.hidden", [64, 64]);
  assert.deepEqual(config, { architecture: { name: "mlp", options: { hidden: [64, 64] } } });
});

Deno.test("a bad cell fails the whole grid up front, naming the cell and the field", async () => {
  await assert.rejects(
    () =>
      expandGrid(
        parseGrid({
          name: "g",
          base,
          axes: { "train.batchSize": [8, -1], loss: ["minimax", "hing"] },
        }),
        builtinRegistry(),
        "grid.json",
      ),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^Invalid config grid.json, cell batchSize=8,loss=hing,seed=1:/);
      assert.match(error.message, /loss.discriminator: Cannot resolve loss "hing"/);
      return true;
    },
  );
  assert.throws(
    () => parseGrid({ name: "g", base, axes: { loss: [] }, seedz: [1] }, "grid.json"),
    (error: Error) => {
      assert.match(error.message, /axes.loss: Too small/);
      assert.match(error.message, /Unrecognized key: "seedz"/);
      return true;
    },
  );
});

Deno.test("a loss name on a path to one player's loss names both players' losses", () => {
  const config: Record<string, unknown> = { loss: "minimax" };
  setPath(config, "loss.generator", "non-saturating");
  assert.deepEqual(config, { loss: { discriminator: "minimax", generator: "non-saturating" } });
});

Deno.test("no cell runs twice: includes in any key order, repeated seeds, equal configs", async () => {
  const grid = (extra: Record<string, unknown>) =>
    parseGrid({ name: "g", base, axes: { loss: ["minimax"], "train.dSteps": [1, 2] }, ...extra });
  const cells = await expandGrid(
    grid({ include: [{ "train.dSteps": 1, loss: "minimax" }] }),
    builtinRegistry(),
  );
  assert.deepEqual(cells.map((c) => c.label), [
    "loss=minimax,dSteps=1,seed=1",
    "loss=minimax,dSteps=2,seed=1",
  ]);
  assert.throws(
    () => grid({ seeds: [1, 2, 1] }),
    (error: Error) =>
      error instanceof ConfigError && /seeds: expected distinct seeds/.test(error.message),
  );
  // With a default written out, an included combination is the same config as an axis cell.
  await assert.rejects(
    () =>
      expandGrid(
        grid({ include: [{ loss: "minimax", "train.dSteps": 2, "train.batchSize": 64 }] }),
        builtinRegistry(),
        "grid.json",
      ),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message.includes(
        "include: cells loss=minimax,dSteps=2,seed=1 and loss=minimax,dSteps=2,batchSize=64,seed=1 are the same config",
      ),
  );
});

Deno.test("a misspelt exclude is refused, naming the entry and what is wrong", async () => {
  const grid = (exclude: Record<string, unknown>[]) =>
    parseGrid({
      name: "g",
      base: { dataset: "ring-8" },
      axes: { loss: ["minimax", "non-saturating"], "train.dSteps": [1, 2] },
      exclude,
    });
  await assert.rejects(
    () => expandGrid(grid([{ los: "minimax" }]), builtinRegistry(), "g.json"),
    /Invalid config g.json:\n {2}- exclude\[0\]: "los" is not an axis of the grid \(its axes: "loss", "train.dSteps"\)/,
  );
  await assert.rejects(
    () => expandGrid(grid([{ loss: "minimax" }, { loss: "minmax" }]), builtinRegistry()),
    /- exclude\[1\]: matches no cell: no combination of the axes has \{"loss":"minmax"\}/,
  );
  const cells = await expandGrid(grid([{ loss: "minimax", "train.dSteps": 2 }]), builtinRegistry());
  assert.equal(cells.length, 3);
});

Deno.test("an axis picking one side of a loss named for both splits it, in either form", async () => {
  for (const loss of ["hinge", { name: "hinge" }]) {
    const cells = await expandGrid(
      parseGrid({
        name: "g",
        base: { dataset: "ring-8", loss },
        axes: { "loss.generator": ["non-saturating"] },
      }),
      builtinRegistry(),
    );
    assert.equal(cells[0].config.loss.discriminator.name, "hinge");
    assert.deepEqual(cells[0].config.loss.generator.map((entry) => entry.name), ["non-saturating"]);
  }
});
