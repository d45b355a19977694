import assert from "node:assert/strict";
import { definePlugin } from "./plugin.ts";
import { Registry } from "./registry.ts";

const loss = (name: string) =>
  definePlugin({ kind: "loss", name, description: name, create: () => ({}) });

Deno.test("a duplicate name within a kind throws, the same name in another kind does not", () => {
  const registry = new Registry().register(loss("hinge"));
  assert.throws(
    () => registry.register(loss("hinge")),
    /Cannot register loss "hinge": a loss of that name is already registered/,
  );
  registry.register(
    definePlugin({
      kind: "metric",
      name: "hinge",
      description: "",
      create: () => ({
        evaluate: () => Promise.resolve({}),
      }),
    }),
  );
  assert.equal(registry.list().length, 2);
});

Deno.test("an unknown name lists the registered names of that kind and the closest match", () => {
  const registry = new Registry().register(loss("minimax"), loss("hinge"), loss("non-saturating"));
  assert.throws(
    () => registry.get("loss", "hing"),
    {
      name: "RangeError",
      message:
        'Cannot resolve loss "hing": available losses are "hinge", "minimax", "non-saturating" (did you mean "hinge"?)',
    },
  );
  assert.throws(() => registry.get("loss", "wasserstein"), (error: Error) => {
    assert.match(error.message, /^Cannot resolve loss "wasserstein": available losses are "hinge"/);
    assert.doesNotMatch(error.message, /did you mean/);
    return true;
  });
  assert.throws(() => registry.get("dataset", "mnist"), /no datasets are registered/);
});

Deno.test("bad plugins are refused with the reason", () => {
  const registry = new Registry();
  assert.throws(() => registry.register(loss("Not Kebab")), /kebab-case/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => registry.register({ kind: "optimizer", name: "x", create: () => ({}) } as any),
    /kind "optimizer" is not one of "loss", "addon"/,
  );
});

Deno.test("list() sorts by kind, then name", () => {
  const metric = definePlugin({
    kind: "metric",
    name: "a",
    description: "",
    create: () => ({ evaluate: () => Promise.resolve({}) }),
  });
  const registry = new Registry().register(metric, loss("b"), loss("a"));
  assert.deepEqual(registry.list().map((p) => `${p.kind}:${p.name}`), [
    "loss:a",
    "loss:b",
    "metric:a",
  ]);
  assert.deepEqual(registry.list("loss").map((p) => p.name), ["a", "b"]);
  assert.ok(registry.has("loss", "a"));
  assert.ok(!registry.has("addon", "a"));
});
