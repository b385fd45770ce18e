#!/usr/bin/env bash
# The world under valgrind's memcheck, once and short: a read of
# uninitialised memory that decides a branch (or reaches a system call),
# an invalid read or write, or a definite leak fails the test. Seeded runs
# and the sanitizer builds do not show such reads: ASan does not look for
# them, and a value that happens to be the same every time keeps every
# digest stable. memcheck needs a build without sanitizers: the release
# tree that determinism.release builds (BIN).
#   - `ringside sim` on 12 seeds (every device type, swarm adversaries,
#     2,000 steps each);
#   - fuzz_regress_world on every world fuzz input (corpus/world and
#     tests/fuzz/findings/world: the bytes as the choices).
# usage: valgrind.sh SOURCE_DIR BIN
set -euo pipefail
src=$1 bin=$2
if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL: valgrind is missing (tools/lib/deps.sh installs it)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind -q --error-exitcode=99 --track-origins=yes
	--leak-check=full --errors-for-leak-kinds=definite)
# A report fails the test whatever the exit status: ringside sim runs
# each seed in a worker process, whose exit status is not its own.
run() {
	local name=$1 rc=0
	shift
	"${vg[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	if [[ $rc -ne 0 ]] || grep -q '^==[0-9]*== ' "$tmp/$name.err"; then
		grep -v "^regress: running" "$tmp/$name.err" | head -60 || true
		echo "FAIL: $name under valgrind: exit $rc, and the reports above"
		exit 1
	fi
}
run sim "$bin/tools/ringside" sim --seeds 0..11 --record none \
	--db "$tmp/runs.db"
run inputs "$bin/fuzz/fuzz_regress_world" "$src/corpus/world" \
	"$src/tests/fuzz/findings/world"
echo "valgrind: 12 seeded runs and $(tail -1 "$tmp/inputs.err"): clean"
