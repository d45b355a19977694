/**
 * Errors that callers are meant to catch: a bad config, and a plugin that failed.
 *
 * @module
 */

/** One bad field of a config: its dotted path and what was expected. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config (or grid) that failed validation; `issues` lists every bad field. */
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

/** An error thrown inside a plugin, wrapped with the plugin's kind, name and the failed hook. */
export class PluginError extends Error {
  readonly plugin: string;
  constructor(plugin: string, hook: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Plugin ${plugin} failed in ${hook}: ${reason}`, { cause });
    this.name = "PluginError";
    this.plugin = plugin;
  }
}
