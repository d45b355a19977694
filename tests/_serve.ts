import { extname } from "node:path";

const TYPES: Record<string, string> = {
  // Deno refuses a module sent as video/mp2t, what Python's http.server and nginx send for .ts.
  ".ts": "application/typescript",
  ".json": "application/json",
};

/**
 * Serves on 127.0.0.1, as a static host of modules would: `read(path)` gives a path's body (the
 * URL's path without its leading slash), or undefined for a 404.
 */
export function serveLocally(
  read: (path: string) => Promise<Uint8Array<ArrayBuffer> | string | undefined>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname).slice(1);
    const body = await read(path);
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body, {
      headers: { "content-type": TYPES[extname(path)] ?? "application/octet-stream" },
    });
  });
}
