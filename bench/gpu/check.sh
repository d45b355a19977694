#!/usr/bin/env bash
# The GPU check: on a machine with a GPU, no Deno and no network (the H200 of the device tool),
# from a working tree that holds bench/gpu/pack/ (made here by bench/gpu/pack.sh):
#   bash bench/gpu/check.sh [OUT]
# prints the WebGPU adapter, `deno task bench --backend webgpu` for mlp and dcgan at batch 64 (with
# its kernel profile) and 256, the wasm mlp step on 1 and 8 threads, and trains
# examples/mnist_dcgan.json for 500 steps on WebGPU with --tensorboard, saving its sample grid and
# result.json under OUT (default $OUT, else ./gpu-check), and lists the tags of its event file as
# TensorBoard's EventAccumulator reads them.
# Each part has its own time limit, so one that hangs cannot take the others' time; together they
# stay under 8 minutes (480 s), inside one device call. For a quick run elsewhere (lavapipe),
# GANTRY_CHECK_STEPS sets the DCGAN's steps and GANTRY_CHECK_BENCH adds flags to every bench
# (e.g. "--steps 1 --windows 1").
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pack=$root/bench/gpu/pack
out=${1:-${OUT:-$root/gpu-check}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/deno_dir"
xz -dc "$pack/deno.xz" >"$work/deno" && chmod +x "$work/deno"
tar -C "$work/deno_dir" -xJf "$pack/deno_dir.tar.xz"
export DENO_DIR=$work/deno_dir DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export LD_LIBRARY_PATH=$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GANTRY_TORCH_REFERENCE=$root/bench/torch_reference.py
# Mesa wants a runtime dir (mktemp's is 0700, as it asks); without one it prints an error a device.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
# NVIDIA's driver ships its Vulkan driver in libGLX_nvidia.so.0; a container may lack the ICD
# file that tells the loader so.
if ! grep -qsl nvidia /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json; then
  lib=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -o '/[^ ]*libGLX_nvidia.so.0' | head -1)
  if [ -n "$lib" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3"}}\n' \
      "$lib" >"$work/nvidia_icd.json"
    export VK_ICD_FILENAMES=$work/nvidia_icd.json
  fi
fi
gantry=("$work/deno" run --cached-only -A "$root/bench/gpu/entry.ts")
steps=${GANTRY_CHECK_STEPS:-500}
read -ra quick <<<"${GANTRY_CHECK_BENCH:-}"
part() { echo; echo "== $1"; shift; timeout "$@"; echo "(exit $?)"; }

echo "== machine: $(nproc) cores, $("$work/deno" --version | head -1)"
part "WebGPU adapter" 30 "$work/deno" eval \
  'const a = await navigator.gpu?.requestAdapter();
   const { vendor, architecture, device, description } = a?.info ?? {};
   console.log(a ? JSON.stringify({ vendor, architecture, device, description }) : "no adapter")'
for batch in 64 256; do
  # At batch 64 also each kernel's count and time a step (on WebGPU: to record and submit it).
  profile=(); [ "$batch" = 64 ] && profile=(--profile)
  part "webgpu mlp + dcgan, batch $batch" 110 "${gantry[@]}" bench --backend webgpu --model all --batch "$batch" --json "${profile[@]}" "${quick[@]}"
done
part "wasm mlp, 1 thread" 40 "${gantry[@]}" bench --model mlp --json "${quick[@]}"
part "wasm mlp, 8 threads" 40 "${gantry[@]}" bench --model mlp --threads 8 --json "${quick[@]}"
part "mnist_dcgan $steps steps on webgpu" 120 "${gantry[@]}" train "$root/examples/mnist_dcgan.json" \
  --backend webgpu --steps "$steps" --out "$out/mnist-dcgan" --tensorboard
part "its TensorBoard event file, read by TensorBoard's EventAccumulator" 30 \
  python3 "$root/bench/gpu/tensorboard_tags.py" "$out/mnist-dcgan"
grid=$(printf '%s/mnist-dcgan/samples/step-%06d.png' "$out" "$steps")
cp "$grid" "$out/mnist-dcgan-$steps.png" 2>/dev/null && echo "sample grid: $out/mnist-dcgan-$steps.png"
