/**
 * Reads a config file: JSON, or a TypeScript/JavaScript module whose default export is the
 * config.
 *
 * @module
 */
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The raw (unvalidated) config in a .json, .ts, .js or .mjs file. */
export async function loadConfigFile(path: string, what = "config"): Promise<unknown> {
  const extension = extname(path);
  if (extension === ".json") {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      throw new Error(`Cannot read ${what} ${path}: ${(error as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`Cannot parse ${what} ${path}: ${(error as Error).message}`);
    }
  }
  if ([".ts", ".js", ".mjs", ".mts"].includes(extension)) {
    const module = await import(pathToFileURL(resolve(path)).href).catch((error) => {
      throw new Error(`Cannot load ${what} ${path}: ${(error as Error).message}`);
    });
    if (module.default === undefined) {
      throw new TypeError(`Cannot load ${what} ${path}: the module has no default export`);
    }
    return module.default;
  }
  throw new TypeError(
    `Cannot load ${what} ${path}: expected a .json, .ts, .js or .mjs file, got "${extension}"`,
  );
}
