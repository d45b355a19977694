import { type tf as tfjs, z } from "../deps.ts";
import { definePlugin, type PluginState } from "../core/contract/plugin.ts";

type Player = "discriminator" | "generator";

/**
 * Historical averaging ([IMP] sec. 3.3): adds w·Σ‖θ − (1/t)Σᵢθᵢ‖² to a player's cost, where
 * θ₁..θₜ are the player's parameters at the start of each of its updates so far (the current
 * one included, so the penalty is 0 at the first update). Each player has its own weight;
 * 0 leaves that player alone. The running sums are kept in checkpoints.
 */
export default definePlugin({
  kind: "regularizer",
  name: "historical-averaging",
  description: "Penalise each player's distance to its parameters' historical mean (Salimans 2016)",
  options: z.strictObject({
    discriminator: z.number().min(0).default(1e-3),
    generator: z.number().min(0).default(1e-3),
  }),
  create: ({ tf, options }) => {
    const history: Record<Player, { sums: tfjs.Variable[]; count: number }> = {
      discriminator: { sums: [], count: 0 },
      generator: { sums: [], count: 0 },
    };
    const penalty = (player: Player) => ({ variables }: { variables: tfjs.Variable[] }) => {
      const { sums, count } = history[player];
      if (count === 0) throw new Error(`no ${player} parameters were observed before its update`);
      const distances = variables.map((v, i) =>
        tf.sum(tf.square(tf.sub(v, tf.div(sums[i], count))))
      );
      return tf.mul(options[player], tf.addN(distances)) as tfjs.Scalar;
    };
    const players = (["discriminator", "generator"] as const).filter((p) => options[p] > 0);
    return {
      ...Object.fromEntries(players.map((p) => [p, penalty(p)])),
      observe(player, variables) {
        if (!players.includes(player)) return;
        const entry = history[player];
        if (entry.sums.length === 0) {
          entry.sums = variables.map((v) => tf.variable(tf.zerosLike(v), false));
        }
        entry.sums.forEach((sum, i) => sum.assign(tf.add(sum, variables[i])));
        entry.count++;
      },
      saveState() {
        const state: PluginState = {};
        for (const player of players) {
          state[`${player}Count`] = history[player].count;
          history[player].sums.forEach((sum, i) => state[`${player}${i}`] = sum);
        }
        return state;
      },
      dispose() {
        for (const player of players) tf.dispose(history[player].sums);
      },
      loadState(state) {
        for (const player of players) {
          const entry = history[player];
          tf.dispose(entry.sums);
          entry.count = state[`${player}Count`] as number;
          entry.sums = [];
          for (let i = 0; state[`${player}${i}`] instanceof tf.Tensor; i++) {
            const saved = state[`${player}${i}`] as tfjs.Tensor;
            entry.sums.push(tf.variable(saved, false));
            saved.dispose();
          }
        }
      },
    };
  },
});
