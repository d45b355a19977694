/**
 * Errors that callers are meant to catch: a bad config, a run directory that cannot be trained
 * into as asked, a plugin that failed, and bad command-line arguments.
 *
 * @module
 */

/** One bad field of a config: its dotted path and what was expected. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * A config (or grid) that failed validation; `issues` lists every bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./errors.ts";
 *
 * const error = new ConfigError("my.json", [{ path: "train.batchSize", message: "Too small" }]);
 * assert.equal(error.message, "Invalid config my.json:\n  - train.batchSize: Too small");
 * ```
 */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[]) {
    super(
      `Invalid config ${source}:\n` +
        issues.map((issue) => `  - ${issue.path || "(root)"}: ${issue.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/**
 * A run directory refused for training: it holds an earlier run and neither resuming nor
 * overwriting was asked for, or its checkpoint cannot be resumed with this config. A
 * ConfigError, as a bad config is, but its message is one sentence about the directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, RunDirectoryError } from "./errors.ts";
 *
 * const error = new RunDirectoryError("runs/x", "runs/x holds an earlier run's result.json");
 * assert.ok(error instanceof ConfigError && error.runDir === "runs/x");
 * assert.equal(error.message, "runs/x holds an earlier run's result.json");
 * ```
 */
export class RunDirectoryError extends ConfigError {
  readonly runDir: string;
  constructor(runDir: string, message: string) {
    super(runDir, [{ path: "", message }]);
    this.message = message;
    this.name = "RunDirectoryError";
    this.runDir = runDir;
  }
}

/**
 * An error thrown inside a plugin, wrapped with the plugin's kind, name and the failed hook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginError } from "./errors.ts";
 *
 * const error = new PluginError('loss "mine"', "generator", new Error("boom"));
 * assert.equal(error.message, 'Plugin loss "mine" failed in generator: boom');
 * ```
 */
export class PluginError extends Error {
  readonly plugin: string;
  /** Where the config names the plugin (`loss.generator`, `discriminator.addons[0]`), if known. */
  readonly path?: string;
  constructor(plugin: string, hook: string, cause: unknown, path?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Plugin ${plugin} failed in ${hook}: ${reason}`, { cause });
    this.name = "PluginError";
    this.plugin = plugin;
    this.path = path;
  }
}

/** Thrown for bad command-line arguments; the CLI prints it and exits with code 1. */
export class UsageError extends Error {}
