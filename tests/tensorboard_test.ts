/**
 * TensorBoard event files, read back with a decoder written here from the formats' definitions
 * (TFRecord framing with masked CRC-32C; tensorflow/core/util/event.proto and
 * tensorflow/core/framework/summary.proto), not with gantry's writer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_cli.ts";

/** CRC-32C, bit by bit (polynomial 0x1EDC6F41, reflected), masked as TFRecord stores it. */
function maskedCrc(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  crc = ~crc >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** A protocol buffer message's fields: number → the values (numbers, or bytes for wire type 2). */
type Fields = Map<number, Array<number | Uint8Array>>;

function parseMessage(bytes: Uint8Array): Fields {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Fields = new Map();
  let at = 0;
  const varint = () => {
    let value = 0, scale = 1;
    for (;;) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) [value, at] = [view.getFloat64(at, true), at + 8];
    else if (wire === 5) [value, at] = [view.getFloat32(at, true), at + 4];
    else if (wire === 2) {
      const length = varint();
      [value, at] = [bytes.subarray(at, at + length), at + length];
    } else throw new Error(`wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
  images: Record<string, { height: number; width: number; colorspace: number; png: Uint8Array }>;
}

/** Every event of an event file, each record's length and data checked against their CRCs. */
function decodeEvents(file: Uint8Array): DecodedEvent[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const text = (b: number | Uint8Array) => new TextDecoder().decode(b as Uint8Array);
  const events: DecodedEvent[] = [];
  for (let at = 0; at < file.length;) {
    const length = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), maskedCrc(file.subarray(at, at + 8)), "length crc");
    const data = file.subarray(at + 12, at + 12 + length);
    assert.equal(view.getUint32(at + 12 + length, true), maskedCrc(data), "data crc");
    at += 12 + length + 4;
    const event = parseMessage(data);
    const decoded: DecodedEvent = {
      wallTime: event.get(1)![0] as number,
      step: (event.get(2)?.[0] as number) ?? 0,
      scalars: {},
      images: {},
    };
    if (event.has(3)) decoded.fileVersion = text(event.get(3)![0]);
    const summary = event.has(5) ? parseMessage(event.get(5)![0] as Uint8Array) : new Map();
    for (const entry of summary.get(1) ?? []) {
      const value = parseMessage(entry as Uint8Array);
      const tag = text(value.get(1)![0]);
      if (value.has(2)) decoded.scalars[tag] = value.get(2)![0] as number;
      if (value.has(4)) {
        const image = parseMessage(value.get(4)![0] as Uint8Array);
        decoded.images[tag] = {
          height: image.get(1)![0] as number,
          width: image.get(2)![0] as number,
          colorspace: image.get(3)![0] as number,
          png: image.get(4)![0] as Uint8Array,
        };
      }
    }
    events.push(decoded);
  }
  return events;
}

const config = (steps: number) => ({
  dataset: "ring-8",
  backend: "cpu",
  architecture: { name: "mlp", options: { hidden: [16], latentDim: 4 } },
  train: { steps, batchSize: 16, logEvery: 10, checkpointEvery: 20 },
  evaluate: { every: 20, metrics: [{ name: "mode-coverage", options: { samples: 200 } }] },
});

async function trainInto(dir: string, steps: number, ...args: string[]) {
  const path = join(dir, `config-${steps}.json`);
  await Deno.writeTextFile(path, JSON.stringify(config(steps)));
  const result = await runCli(["train", path, ...args]);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

const lines = async (path: string) =>
  (await Deno.readTextFile(path)).trim().split("\n").map((line) => JSON.parse(line));

Deno.test("--tensorboard writes every logged step, every metric and every sample picture", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "run");
  const trained = await trainInto(dir, 40, "--out", out, "--tensorboard");
  assert.match(trained.stdout, new RegExp(`tensorboard --logdir ${out}`));
  const events = decodeEvents(await Deno.readFile(join(out, "events.out.tfevents.gantry")));
  assert.equal(events[0].fileVersion, "brain.Event:2");
  const train = await lines(join(out, "train.jsonl"));
  const metrics = await lines(join(out, "metrics.jsonl"));
  // At each logged step its stats; at each evaluation then its metrics and its picture.
  assert.deepEqual(
    events.slice(1).map((e) => [e.step, Object.keys(e.scalars).length, Object.keys(e.images)]),
    [[10, 6, []], [20, 6, []], [20, 3, []], [20, 0, ["samples"]], [30, 6, []], [40, 6, []], [
      40,
      3,
      [],
    ], [40, 0, ["samples"]]],
  );
  const scalars = events.filter((e) => "train/dLoss" in e.scalars);
  for (const [i, row] of train.entries()) {
    for (const field of ["dLoss", "gLoss", "dReal", "dFake", "lr", "stepsPerSecond"]) {
      assert.equal(scalars[i].scalars[`train/${field}`], Math.fround(row[field]), field);
    }
    assert.equal(scalars[i].wallTime, row.time);
  }
  const evaluations = events.filter((e) => "metrics/modes" in e.scalars);
  assert.deepEqual(evaluations.map((e) => e.step), [20, 40]);
  for (const [i, row] of metrics.entries()) {
    for (const metric of ["modes", "highQuality", "reverseKL"]) {
      assert.equal(evaluations[i].scalars[`metrics/${metric}`], Math.fround(row[metric]));
    }
  }
  for (const event of events.filter((e) => e.images.samples)) {
    const { png, width, height, colorspace } = event.images.samples;
    const file = join(out, "samples", `step-${String(event.step).padStart(6, "0")}.png`);
    assert.deepEqual(png, await Deno.readFile(file));
    assert.deepEqual([width, height, colorspace], [512, 512, 3]);
  }
});

Deno.test("a resumed run's event file holds each step once, as an uninterrupted run's", async () => {
  const dir = await Deno.makeTempDir();
  const whole = join(dir, "whole");
  await trainInto(dir, 40, "--out", whole, "--tensorboard");
  const resumed = join(dir, "resumed");
  await trainInto(dir, 20, "--out", resumed, "--tensorboard");
  // As if killed at step 30, past the checkpoint at 20: a row and a torn record beyond it.
  const events = join(resumed, "events.out.tfevents.gantry");
  const tail = (await Deno.readFile(join(whole, "events.out.tfevents.gantry"))).subarray(-900);
  await Deno.writeFile(events, tail.subarray(0, 500), { append: true });
  await Deno.writeTextFile(join(resumed, "train.jsonl"), '{"step":30,"dLoss":', { append: true });
  await trainInto(dir, 40, "--out", resumed, "--resume", "--tensorboard");
  const withoutClock = async (runDir: string) =>
    decodeEvents(await Deno.readFile(join(runDir, "events.out.tfevents.gantry"))).map((e) => {
      const { "train/stepsPerSecond": _, ...scalars } = e.scalars;
      return { step: e.step, scalars, images: e.images, version: e.fileVersion };
    });
  assert.deepEqual(await withoutClock(resumed), await withoutClock(whole));
});

Deno.test("a grid's cells write TensorBoard runs named by their labels", async () => {
  const dir = await Deno.makeTempDir();
  const grid = join(dir, "grid.json");
  await Deno.writeTextFile(
    grid,
    JSON.stringify({
      name: "tb",
      base: { ...config(20), log: { tensorboard: true } },
      axes: { loss: ["minimax", "hinge"] },
    }),
  );
  const out = join(dir, "out");
  const result = await runCli(["ablate", grid, "--out", out]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`tensorboard --logdir ${join(out, "tensorboard")}`));
  const runs = [...Deno.readDirSync(join(out, "tensorboard"))].map((e) => e.name).sort();
  assert.deepEqual(runs, ["loss=hinge,seed=1", "loss=minimax,seed=1"]);
  for (const run of runs) {
    const events = decodeEvents(
      await Deno.readFile(join(out, "tensorboard", run, "events.out.tfevents.gantry")),
    );
    assert.deepEqual(events.filter((e) => e.images.samples).map((e) => e.step), [20]);
  }
});
