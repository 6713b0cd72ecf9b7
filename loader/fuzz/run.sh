#!/usr/bin/env bash
# Runs the loader's libFuzzer targets (cargo fuzz) on the stable toolchain.
#   loader/fuzz/run.sh [SECONDS] [TARGET...]   default: 10 s each, all targets
#   FUZZ_RUNS=1000000 loader/fuzz/run.sh 3600  each target until 10^6 executions
#                                              (or the time limit, whichever first)
# Corpora live outside the clone ($LOADLAB_FUZZ, default ~/.cache/loadlab/fuzz),
# seeded from the real fixtures (committed, ../shared, the fixture cache) and
# loader/tests/corpus. A crash fails the run; copy the input that libFuzzer
# names into loader/tests/corpus/ (the robustness test replays it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
secs="${1:-10}"; shift || true
all=(safetensors gguf npz npy_header zip pth pickle manifest)
targets=("${@:-${all[@]}}")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
store="${LOADLAB_FUZZ:-$HOME/.cache/loadlab/fuzz}"
cache="${LOADLAB_FIXTURES:-$HOME/.cache/loadlab/fixtures}/files"
shared="${LOADLAB_FIXTURE_PATH:-$repo/../shared/fixtures}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo fuzz passes nightly flags (-Zsanitizer); the stable compiler accepts them this way.
export RUSTC_BOOTSTRAP=1

seed() { # target, find patterns...
  local dir="$store/corpus/$1"; shift
  mkdir -p "$dir"
  for root in "$repo/fixtures/committed" "$shared" "$cache" "$repo/loader/tests/corpus"; do
    [ -d "$root" ] || continue
    find "$root" -type f -size -2000k \( "$@" \) -exec cp -n {} "$dir/" \; 2>/dev/null || true
  done
}
for t in "${targets[@]}"; do
  case "$t" in
    safetensors) seed "$t" -name '*.safetensors' -o -name 'seed-safetensors*' ;;
    gguf)        seed "$t" -name '*.gguf' -o -name 'seed-gguf*' ;;
    npz|zip)     seed "$t" -name '*.npz' -o -name '*.pt' -o -name '*.pth' -o -name 'seed-npz*' ;;
    pth)         seed "$t" -name '*.pt' -o -name '*.pth' -o -name 'seed-pth*' ;;
    pickle)      mkdir -p "$store/corpus/pickle"
                 for f in "$repo"/fixtures/committed/*.pth; do head -c 4096 "$f" > "$store/corpus/pickle/$(basename "$f").pkl"; done ;;
    npy_header)  mkdir -p "$store/corpus/npy_header"
                 printf "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n" > "$store/corpus/npy_header/f4" ;;
    manifest)    mkdir -p "$store/corpus/manifest"
                 printf 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.bin\n' > "$store/corpus/manifest/one" ;;
    *) echo "unknown target $t (one of: ${all[*]})" >&2; exit 2 ;;
  esac
done
cd "$here/.."
for t in "${targets[@]}"; do
  printf '=== fuzz %s (%s s)\n' "$t" "$secs"
  mkdir -p "$store/artifacts/$t"
  log="$store/$t.log"
  set +e
  cargo fuzz run --fuzz-dir fuzz --sanitizer none "$t" "$store/corpus/$t" -- \
    -max_len=65536 -max_total_time="$secs" -dict="fuzz/dict/$t.dict" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$store/artifacts/$t/" -print_final_stats=1 ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | tr '\n' ' '; echo
  if [ $rc -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz $t: FAILED (exit $rc); inputs in $store/artifacts/$t, log $log" >&2
    exit 1
  fi
done
