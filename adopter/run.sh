#!/usr/bin/env bash
# Builds the loader's examples from this out-of-workspace crate (the
# loader as a path dependency, default features off), checks that clap and
# rayon are not in its dependency tree, and runs every example on the
# committed fixtures. Used by .ci/run; runnable by hand.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fx="$here/../fixtures/committed"
cd "$here"
cargo build --release --quiet --examples --bins
tree="$(cargo tree -e normal --prefix none)"
for heavy in clap rayon indicatif; do
  if grep -q "^$heavy " <<<"$tree"; then echo "adopter: $heavy is in the tree" >&2; exit 1; fi
done
bin=target/release/examples
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
o="$("$bin/inspect" "$fx/lpips-v0.1-alex.pth")"; grep -q "5 tensors" <<<"$o"
o="$("$bin/load" "$fx/lpips-v0.1-vgg.pth" f16)"; grep -q "as F16" <<<"$o"
sum="$(sha256sum "$fx/lpips-v0.1-squeeze.pth" | cut -d' ' -f1)"
o="$("$bin/verify" "$fx/lpips-v0.1-squeeze.pth" "$sum")"; grep -q "^OK" <<<"$o"
(cd "$fx" && sha256sum lpips-v0.0-*.pth) > "$out/SHA256SUMS"
o="$("$bin/verify" "$fx" "$out/SHA256SUMS")"; test "$(grep -c '^OK' <<<"$o")" = 3
o="$("$bin/export" "$fx/lpips-v0.1-alex.pth" lin0.model.1.weight "$out/w.npy" bf16)"; grep -q "wrote" <<<"$o"
test "$(head -c 6 "$out/w.npy" | tail -c 5)" = NUMPY
o="$(target/release/loadlab-adopter "$fx"/lpips-v0.1-*.pth)"; test "$(grep -c ' tensors$' <<<"$o")" = 3
echo "adopter: 4 examples built without clap or rayon and run on committed fixtures"
