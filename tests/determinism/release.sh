#!/usr/bin/env bash
# Builds the whole project optimised and without sanitizers (the release
# build type, as tools/run does: -O2 finds warnings -O1 does not, and
# warnings are errors) in its own build folder, then runs the determinism
# test there: its digest must equal the GOLDEN_DIGEST the sanitizer build
# checks.
# usage: release.sh SOURCE_DIR BINARY_DIR CMAKE C_COMPILER
set -euo pipefail
src=$1 bin=$2/determinism-release cmake=$3 cc=$4

"$cmake" -S "$src" -B "$bin" -DCMAKE_BUILD_TYPE=Release \
	-DRINGSIDE_SANITIZE=OFF -DCMAKE_C_COMPILER="$cc" >/dev/null
"$cmake" --build "$bin" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
exec "$bin/tests/model_test_determinism" digest_matches_every_build_type
