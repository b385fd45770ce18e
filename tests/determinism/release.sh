#!/usr/bin/env bash
# Builds the project optimised and without sanitizers (the release build
# type, as tools/run does: -O2 finds warnings -O1 does not, and warnings
# are errors) with the compiler CC, in its own build folder
# (BINARY_DIR/determinism-NAME), then runs the determinism test there:
#   - its digest of 1,000 seeded runs must equal the GOLDEN_DIGEST the sanitizer build
#     checks;
#   - its digest of the world's fuzz inputs (corpus/world and
#     tests/fuzz/findings/world, each run twice and replayed) must equal
#     the sanitizer build's (BINARY_DIR/tests/model_test_determinism).
# Without TARGETs the whole project is built (determinism.release, gcc);
# with them only those (determinism.clang: the determinism test alone,
# to keep the suite's time).
# usage: release.sh SOURCE_DIR BINARY_DIR CMAKE CC [NAME [TARGET...]]
set -euo pipefail
src=$1 sanitizer_bin=$2 cmake=$3 cc=$4
name=${5:-release}
shift $(($# < 5 ? $# : 5))
bin=$sanitizer_bin/determinism-$name
targets=()
for t in "$@"; do
	targets+=(--target "$t")
done

"$cmake" -S "$src" -B "$bin" -DCMAKE_BUILD_TYPE=Release \
	-DRINGSIDE_SANITIZE=OFF -DCMAKE_C_COMPILER="$cc" >/dev/null
"$cmake" --build "$bin" -j"$(nproc 2>/dev/null || echo 2)" \
	${targets[@]+"${targets[@]}"} >/dev/null
"$bin/tests/model_test_determinism" digest_matches_every_build_type

input_digest() {
	"$1" --print-input-digest 2>/dev/null | grep -m1 '^0x' || true
}
ours=$(input_digest "$bin/tests/model_test_determinism")
theirs=$(input_digest "$sanitizer_bin/tests/model_test_determinism")
echo "fuzz inputs: digest $ours ($name, $cc), $theirs (the sanitizer build)"
if [[ -z $ours || $ours != "$theirs" ]]; then
	echo "FAIL: the fuzz inputs' digest differs between the builds"
	exit 1
fi
