#!/usr/bin/env bash
# ctest fuzz.canary_ring: each engine finds planted bug 1 through
# `ringside fuzz` on the ring target. Bug 1 (ring/virtio_ring.c note 8)
# takes a used id without its range check: a device that returns an id
# past the ring makes the driver read past its per-descriptor state, an
# out-of-bounds read only a sanitizer sees. The world cannot replay such a
# finding (tests/fuzz/canary.sh plants bug 3 for that), so the proof here
# is the input itself:
#   - `ringside fuzz --target ring --engine E --runs N --until-finding
#     --plant 1`, from the seeds of corpus/ring that the planted ring runs
#     clean, exits 1 with at least one finding, stored in the trace store
#     as a failing run of source E;
#   - every finding file still reports a finding through the planted
#     build's regression driver (`ringside fuzz --reproduce`), and runs
#     clean through the project's own fuzz_regress_ring (no planted bug;
#     a sanitizer build under tools/test): the findings are the planted
#     bug and nothing else.
#
# The bound is a number of executions, not seconds, so that a loaded
# machine takes longer but finds the same bug; the campaign stops at its
# first finding. Executions to the first finding from these 174 seeds
# (the seeds' own runs included), 20 runs of each engine with a different
# seed each, ASan+UBSan builds (libFuzzer: fuzz_ring alone, its
# number_of_executed_units at the crash; AFL++: the execs: field of its
# first crash file, calibration included):
#   libFuzzer  178 .. 634 (median 301)
#   AFL++      1,394 .. 26,773 (median 2,047)
# The bounds are 4x the worst: 2,600 and 110,000 executions. Each
# engine's finding takes a few seconds on an idle machine.
#
# Usage: canary_ring.sh RINGSIDE REGRESS_RING WORK
#   RINGSIDE: the project's ringside; REGRESS_RING: the project's
#   fuzz_regress_ring; WORK: builds and campaigns (reused by the next run)
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: canary_ring.sh RINGSIDE REGRESS_RING WORK" >&2
	exit 2
fi
R=$1
plain_regress=$2
work=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/fuzz/canary_lib.sh
source "$root/tests/fuzz/canary_lib.sh"
plant=1
declare -A runs=([libfuzzer]=2600 [afl]=110000)
mkdir -p "$work"
work=$(cd "$work" && pwd)
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

# 1. The planted fuzz builds of the ring target (ringside fuzz builds
#    them), and the seeds the planted ring runs clean.
planted_fuzz_setup canary_ring "$R" ring $plant ring "$work" 20
seeds=$work/seeds

# 2. Each engine finds it within the bound; every finding is the bug.
check_engine() {
	local engine=$1 db=$work/$1.db out=$work/out-$1 rc=0 start end
	local files=0 planted_ok=0 plain_clean=0 stored oracles f
	rm -f "$db" "$db"-wal "$db"-shm
	rm -rf "$out"
	start=$(date +%s)
	"$R" fuzz --target ring --engine "$engine" --runs "${runs[$engine]}" \
		--until-finding \
		--db "$db" --out "$out" --build-dir "$work/ring-$engine" \
		--plant $plant --corpus "$seeds" >"$work/$engine.out" \
		2>"$work/$engine.err" || rc=$?
	end=$(date +%s)
	echo "canary_ring: $engine: exit $rc after $((end - start)) s," \
		"$(tail -1 "$work/$engine.out")"
	if [[ $rc -ne 1 ]]; then
		tail -20 "$work/$engine.err"
		fail "$engine: ringside fuzz exited $rc, not 1 (findings)" \
			"within ${runs[$engine]} executions"
		return
	fi
	while read -r f; do
		files=$((files + 1))
		rc=0
		"$R" fuzz --reproduce "$f" --target ring --engine "$engine" \
			--build-dir "$work/ring-$engine" \
			>"$work/$engine.reproduce" 2>&1 || rc=$?
		if [[ $rc -eq 1 ]]; then
			planted_ok=$((planted_ok + 1))
		else
			tail -5 "$work/$engine.reproduce"
			fail "$engine: $f: no finding on the planted ring" \
				"when run again (exit $rc)"
		fi
		rc=0
		"$plain_regress" "$f" >"$work/$engine.plain" 2>&1 || rc=$?
		if [[ $rc -eq 0 ]]; then
			plain_clean=$((plain_clean + 1))
		else
			tail -20 "$work/$engine.plain"
			fail "$engine: $f: a finding on the real ring too" \
				"(exit $rc): not the planted bug"
		fi
	done < <(sed -n "s/^  reproduce: ringside fuzz --reproduce '\([^']*\)'.*/\1/p" \
		"$work/$engine.out")
	stored=$("$R" runs "$db" --source "$engine" --outcome fail 2>/dev/null |
		grep -c " fail " || true)
	oracles=$(sed -n 's/^finding: run [0-9]* oracle=\([^:]*\):.*/\1/p' \
		"$work/$engine.out" | sort | uniq -c | tr -s ' \n' ' ')
	echo "canary_ring: $engine: $files findings (oracles:$oracles)," \
		"$stored stored, $planted_ok again on the planted ring," \
		"$plain_clean clean on the real one"
	[[ $files -ge 1 ]] || fail "$engine: no finding printed"
	[[ $stored -eq $files ]] ||
		fail "$engine: $files findings but $stored failing runs stored"
}

check_engine libfuzzer
check_engine afl

if [[ $status -eq 0 ]]; then
	echo "canary_ring: PASS (libFuzzer and AFL++ found planted bug" \
		"$plant within ${runs[libfuzzer]} and ${runs[afl]} executions;" \
		"every finding is that bug)"
fi
exit $status
