#!/usr/bin/env bash
# An exported regression test does its job (ringside export --format c):
#
# 1. configures and builds (Release, no sanitizers) a tree whose ring has
#    planted bug 3 (ring/virtio_ring.c note 8: a used idx running ahead is
#    accepted) in BINARY_DIR/export-plant3, target ringside;
# 2. with that ringside, records a campaign whose adversary exposes the bug
#    (used-idx-ahead: oracle missed-detection) and exports a failing run
#    as C;
# 3. compiles the exported file against the planted tree's libraries: it
#    must FAIL, naming the oracle;
# 4. compiles it against this build's libraries (with its sanitizer flags):
#    the real ring has no such bug, so it must PASS.
#
# usage: export_test.sh SOURCE_DIR BINARY_DIR CMAKE C_COMPILER \
#            TEST_SUPPORT_LIB MODEL_LIB RING_LIB "SANITIZE_FLAGS"
set -euo pipefail

if [[ $# -ne 8 ]]; then
	echo "usage: $0 SOURCE_DIR BINARY_DIR CMAKE C_COMPILER" \
		"TEST_SUPPORT_LIB MODEL_LIB RING_LIB SANITIZE_FLAGS" >&2
	exit 2
fi
src=$1 plant=$2/export-plant3 cmake=$3 cc=$4
support_lib=$5 model_lib=$6 ring_lib=$7
read -r -a sanitize <<<"$8"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[[ -s $f ]] || continue
		echo "--- $f:" >&2
		head -n 30 "$f" >&2
	done
	exit 1
}

warnings=(-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wvla -Wformat=2 -Wundef -Werror)
includes=(-I"$src/ring/include" -I"$src/model" -I"$src/tests/support")

# 1. the planted tree (warnings are not this test's business: others may
# be editing the tree)
"$cmake" -S "$src" -B "$plant" -DCMAKE_BUILD_TYPE=Release \
	-DRINGSIDE_SANITIZE=OFF -DRINGSIDE_WERROR=OFF -DRINGSIDE_PLANT_BUG=3 \
	-DCMAKE_C_COMPILER="$cc" >"$tmp/configure.out" 2>&1 ||
	fail "configuring the planted tree"
"$cmake" --build "$plant" -j2 --target ringside >"$tmp/build.out" 2>&1 ||
	fail "building the planted tree"
ringside=$plant/tools/ringside

# 2. a failing run, recorded and exported
status=0
"$ringside" sim --device entropy --adversary used-idx-ahead --seeds 1..10 \
	--db "$tmp/t.db" --quiet >"$tmp/sim.out" 2>"$tmp/sim.err" || status=$?
[[ $status -eq 1 ]] || fail "the planted campaign exited $status, not 1"
grep -q '^  missed-detection ' "$tmp/sim.out" ||
	fail "the planted campaign has no missed-detection failure"
# (sed stops at the first: no head to leave a writer to SIGPIPE)
run=$(sed -nE '/^  replay with: ringside replay [^ ]+ ([0-9]+)$/{s//\1/p;q;}' \
	"$tmp/sim.out")
[[ -n $run ]] || fail "no 'replay with:' line in the campaign output"
"$ringside" export "$tmp/t.db" "$run" --format c -o "$tmp/regress.c" \
	2>"$tmp/export.err" || fail "export of run $run"
grep -q "^static void regress_run_$run(void)" "$tmp/regress.c" ||
	fail "the exported test is not named regress_run_$run"
grep -q '^ \* oracle: missed-detection at step ' "$tmp/regress.c" ||
	fail "the exported header does not name the oracle"

# 3. against the planted ring: the test fails
"$cc" "${warnings[@]}" "${includes[@]}" -O1 "$tmp/regress.c" \
	"$src/tests/support/harness.c" "$plant/model/libringside_model.a" \
	"$plant/ring/libringside_ring_world.a" -o "$tmp/planted" \
	>"$tmp/cc-planted.out" 2>&1 || fail "compiling against the planted tree"
status=0
"$tmp/planted" >"$tmp/planted.out" 2>"$tmp/planted.err" || status=$?
[[ $status -ne 0 ]] || fail "the exported test passed on the planted ring"
grep -q "regress_run_$run: oracle missed-detection" "$tmp/planted.err" ||
	fail "the failing test does not name the oracle"
grep -q "^FAIL regress_run_$run" "$tmp/planted.out" ||
	fail "the harness does not report regress_run_$run failed"

# 4. against this build's libraries: the test passes
"$cc" "${sanitize[@]}" "${warnings[@]}" "${includes[@]}" -O1 \
	"$tmp/regress.c" "$support_lib" "$model_lib" "$ring_lib" \
	-o "$tmp/fixed" >"$tmp/cc-fixed.out" 2>&1 ||
	fail "compiling against this build"
"$tmp/fixed" >"$tmp/fixed.out" 2>"$tmp/fixed.err" ||
	fail "the exported test failed on the real ring"
grep -q "^ok   regress_run_$run" "$tmp/fixed.out" ||
	fail "the harness does not report regress_run_$run passed"

# 5. a world that draws its choices differently (here: the choices shifted
# by one) no longer reaches the scenario: the test fails, it does not
# pass without testing anything
sed -E '/^static const u64 choices\[\] = \{$/{n;s/^\t[0-9]+(ULL)?, /\t/}' \
	"$tmp/regress.c" >"$tmp/shifted.c"
! cmp -s "$tmp/regress.c" "$tmp/shifted.c" || fail "the choices were not shifted"
"$cc" "${sanitize[@]}" "${warnings[@]}" "${includes[@]}" -O1 \
	"$tmp/shifted.c" "$support_lib" "$model_lib" "$ring_lib" \
	-o "$tmp/shifted" >"$tmp/cc-shifted.out" 2>&1 ||
	fail "compiling the shifted test"
status=0
"$tmp/shifted" >"$tmp/shifted.out" 2>"$tmp/shifted.err" || status=$?
[[ $status -ne 0 ]] || fail "the test passed with its choices drawn differently"
grep -q "no longer reaches the recorded scenario" "$tmp/shifted.err" ||
	fail "the shifted test does not say it missed the scenario"

echo "export_test: run $run fails on planted bug 3, passes on the real ring," \
	"fails when the choices are drawn differently"
