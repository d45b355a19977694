#!/usr/bin/env bash
# Packs what the GPU check (bench/gpu/check.sh) needs on a machine without Deno or a network into
# bench/gpu/pack/ (ignored by git; about 45 MB, under the device tool's 64 MiB):
#   deno.xz           this machine's Deno binary, xz -9
#   deno_dir.tar.xz   a DENO_DIR holding only the npm files the check reads (found by tracing a
#                     short run of it here), so that `deno run --cached-only` needs no network
#   lib/libvulkan.so.1  the Vulkan loader (Debian's libvulkan1), which Deno's WebGPU opens
# Usage: bash bench/gpu/pack.sh   (needs deno, strace, xz and libvulkan1 here)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/bench/gpu/pack
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -rf "$out"
mkdir -p "$out/lib"
export DENO_DIR=$scratch/deno_dir DENO_NO_UPDATE_CHECK=1
cd "$root"
deno cache bench/gpu/entry.ts >/dev/null 2>&1
# The files a run reads: the npm modules import the same files on every backend; wasm's binaries
# and the embedded MNIST digits are read by a threaded wasm run of the DCGAN and the bench.
trace=$scratch/trace
run() { strace -f -qq -e trace=openat,open -o "$trace.$1" deno run --cached-only -A bench/gpu/entry.ts "${@:2}" >/dev/null; }
run train train examples/mnist_dcgan.json --backend wasm --threads 2 --steps 1 --out "$scratch/run"
run bench bench --model mlp --steps 1 --windows 1
npm=$DENO_DIR/npm/registry.npmjs.org
cat "$trace".* | grep -o "\"$npm/[^\"]*\"" | tr -d '"' | sort -u >"$scratch/read"
# Resolution also needs every package.json and the registry metadata.
find "$npm" -name package.json -o -name registry.json >>"$scratch/read"
(cd "$DENO_DIR" && sed "s|^$DENO_DIR/||" "$scratch/read" | sort -u |
  while read -r f; do [ -f "$f" ] && echo "$f"; done >"$scratch/keep")
tar -C "$DENO_DIR" -cf - -T "$scratch/keep" | xz -9 -T0 >"$out/deno_dir.tar.xz"
xz -9 -T0 -c "$(command -v deno | xargs readlink -f)" >"$out/deno.xz"
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$out/lib/"
echo "packed $(wc -l <"$scratch/keep") npm files:"
du -sh "$out"/* "$out"
