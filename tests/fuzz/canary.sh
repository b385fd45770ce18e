#!/usr/bin/env bash
# ctest fuzz.canary: proves the whole fuzz pipeline end to end. The ring
# is built with planted bug 3 (ring/virtio_ring.c note 8: a used idx
# running ahead of the outstanding buffers is accepted; the world's
# missed-detection oracle sees it). Bug 1 (a used id without its range
# check) is an out-of-bounds read: a sanitizer finding that the world
# cannot replay deterministically, so it cannot prove the replay step.
#
# For each engine (libFuzzer, AFL++) the test runs
#   ringside fuzz --target world --engine E --runs N --until-finding \
#                 --plant 3 ...
# with a ringside built against the same planted ring (replay needs the
# planted ring too), from seeds that do NOT show the bug (the seeds of
# corpus/world that the planted build runs clean), and fails unless
#   - ringside fuzz exits 1 and prints a finding with its replay command,
#   - the trace store holds a failing run of that source with oracle
#     missed-detection,
#   - `ringside replay DB RUN` of the planted ringside reproduces it
#     (exit 0), and the project's own ringside (no planted bug) does not
#     (the finding is the planted bug, not something else).
# Then a campaign of libFuzzer with two jobs is interrupted with SIGINT as
# soon as a finding file exists: it must stop within a minute of the
# signal, exit 1, store the findings, and leave no fuzzer process behind.
# Last, a campaign of each engine is killed with SIGKILL: within 10 s no
# fuzzer process may be left.
#
# The bound is a number of executions, not seconds: a loaded 2-core
# machine gives the fuzzers a fraction of a core, and a time bound
# measured on an idle one then ends the campaign before the finding.
# Executions to the first finding from these seeds, 20 runs of each
# engine with a different seed each, ASan+UBSan builds, the same seeds
# and dictionary (libFuzzer: fuzz_world alone, its number_of_executed_units
# at the crash, the seeds' own runs included; AFL++: the execs: field of
# its first crash file, calibration included):
#   libFuzzer  31 .. 217 (median 71)
#   AFL++      571 .. 3,324 (median 1,926)
# The bounds are 4x the worst run of each engine: 900 and 13,300.
#
# The builds (the planted ringside and one fuzz build per engine) go to
# WORK and are reused by the next run.
#
# Usage: canary.sh RINGSIDE WORK   (RINGSIDE: the project's ringside)
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: canary.sh RINGSIDE WORK" >&2
	exit 2
fi
plain=$1
work=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/fuzz/canary_lib.sh
source "$root/tests/fuzz/canary_lib.sh"
declare -A runs=([libfuzzer]=900 [afl]=13300)
plant=3
mkdir -p "$work"
work=$(cd "$work" && pwd)
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

# 1. A ringside with the planted ring (Release, no sanitizer: fast).
ringside_build=$work/ringside-plant$plant
cmake -S "$root" -B "$ringside_build" -DCMAKE_BUILD_TYPE=Release \
	-DRINGSIDE_PLANT_BUG=$plant >"$work/ringside-build.log" 2>&1 &&
	cmake --build "$ringside_build" -j2 --target ringside \
		>>"$work/ringside-build.log" 2>&1 || {
	tail -30 "$work/ringside-build.log"
	echo "FAIL: building the planted ringside"
	exit 1
}
R=$ringside_build/tools/ringside

# 2. The planted fuzz builds (ringside fuzz builds them), and the seeds
#    that the planted ring runs clean.
planted_fuzz_setup canary "$R" world $plant fuzz "$work" 5
seeds=$work/seeds

# 3. Each engine finds it, stores it, and the finding replays.
check_engine() {
	local engine=$1 db=$work/$1.db out=$work/out-$1 rc=0 run line
	local start end
	rm -f "$db" "$db"-wal "$db"-shm
	rm -rf "$out"
	start=$(date +%s)
	"$R" fuzz --target world --engine "$engine" \
		--runs "${runs[$engine]}" --until-finding \
		--db "$db" --out "$out" --build-dir "$work/fuzz-$engine" \
		--plant $plant --corpus "$seeds" >"$work/$engine.out" \
		2>"$work/$engine.err" || rc=$?
	end=$(date +%s)
	echo "canary: $engine: exit $rc after $((end - start)) s," \
		"$(tail -1 "$work/$engine.out")"
	if [[ $rc -ne 1 ]]; then
		tail -20 "$work/$engine.err"
		fail "$engine: ringside fuzz exited $rc, not 1 (findings)" \
			"within ${runs[$engine]} executions"
		return
	fi
	line=$(grep -m1 "replay: ringside replay" "$work/$engine.out" || true)
	run=${line##* }
	if [[ -z $line || ! $run =~ ^[0-9]+$ ]]; then
		cat "$work/$engine.out"
		fail "$engine: no replayable finding printed"
		return
	fi
	if ! "$R" runs "$db" --source "$engine" --oracle missed-detection \
		>"$work/$engine.runs" 2>&1 ||
		! grep -q "^ *$run $engine .* fail missed-detection" \
			"$work/$engine.runs"; then
		cat "$work/$engine.runs"
		fail "$engine: run $run is not a missed-detection failure" \
			"of source $engine in the trace store"
	fi
	rc=0
	"$R" replay "$db" "$run" >"$work/$engine.replay" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]] || ! grep -q "^reproduced:" "$work/$engine.replay"; then
		cat "$work/$engine.replay"
		fail "$engine: ringside replay $db $run did not reproduce it"
	fi
	rc=0
	"$plain" replay "$db" "$run" >"$work/$engine.replay-plain" 2>&1 || rc=$?
	if [[ $rc -ne 1 ]]; then
		cat "$work/$engine.replay-plain"
		fail "$engine: the unplanted ringside's replay exited $rc, not" \
			"1 (diverged): the finding is not the planted bug"
	fi
}

check_engine libfuzzer
check_engine afl

# 4. Interrupted: SIGINT once a finding exists (within the bound on
#    executions: the campaign ends by itself at it); the findings are
#    stored.
db=$work/sigint.db
out=$work/out-sigint
rm -f "$db" "$db"-wal "$db"-shm
rm -rf "$out"
"$R" fuzz --target world --engine libfuzzer --jobs 2 \
	--runs "${runs[libfuzzer]}" \
	--db "$db" --out "$out" --build-dir "$work/fuzz-libfuzzer" \
	--plant $plant --corpus "$seeds" >"$work/sigint.out" \
	2>"$work/sigint.err" &
pid=$!
while kill -0 $pid 2>/dev/null; do
	if compgen -G "$out/campaign-1/artifacts/crash-*" >/dev/null; then
		break
	fi
	sleep 0.1
done
start=$(date +%s)
kill -INT $pid 2>/dev/null || true
rc=0
wait $pid || rc=$?
end=$(date +%s)
echo "canary: interrupted: exit $rc, $((end - start)) s after SIGINT," \
	"$(tail -1 "$work/sigint.out")"
if [[ $rc -ne 1 ]]; then
	tail -20 "$work/sigint.err"
	fail "interrupted: ringside fuzz exited $rc, not 1"
fi
if [[ $((end - start)) -ge 60 ]]; then
	fail "interrupted: it ran $((end - start)) s after SIGINT"
fi
grep -q "(interrupted)" "$work/sigint.out" ||
	fail "interrupted: the summary does not say so"
stored=$("$R" runs "$db" --oracle missed-detection 2>/dev/null |
	grep -c " libfuzzer .* fail missed-detection" || true)
files=$(find "$out/campaign-1/artifacts" -name 'crash-*' ! -name '*.log' |
	wc -l)
echo "canary: interrupted: $files finding files, $stored runs stored"
if [[ $files -lt 1 || $stored -ne $files ]]; then
	fail "interrupted: $files finding files but $stored runs stored"
fi
sleep 1
if pgrep -f "$work/fuzz-libfuzzer/fuzz_world" >/dev/null; then
	pgrep -af "$work/fuzz-libfuzzer/fuzz_world"
	fail "interrupted: fuzzer processes were left running"
fi

# 5. Killed outright (SIGKILL): nothing can be stopped or imported, but no
#    fuzzer process may run on (the janitor ends their process groups,
#    AFL++'s fork servers, which leave them, and their stopped targets).
killed() {
	local engine=$1 bin=$work/fuzz-$1/fuzz_world pid i
	rm -f "$work/killed.db"
	"$R" fuzz --target world --engine "$engine" --jobs 2 --time 120 \
		--db "$work/killed.db" --out "$work/out-killed-$engine" \
		--build-dir "$work/fuzz-$engine" --plant $plant \
		--corpus "$seeds" >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 600); do
		pgrep -f "$bin" >/dev/null && break
		sleep 0.1
	done
	sleep 2
	kill -KILL $pid
	wait $pid 2>/dev/null || true
	for i in $(seq 1 100); do
		pgrep -f "$bin" >/dev/null || break
		sleep 0.1
	done
	if pgrep -f "$bin" >/dev/null; then
		ps -o pid,ppid,pgid,stat,args -p "$(pgrep -d, -f "$bin")"
		fail "$engine: SIGKILL left fuzzer processes running"
		pkill -KILL -f "$bin" || true
	else
		echo "canary: $engine: SIGKILL left no fuzzer process"
	fi
}
killed libfuzzer
killed afl

if [[ $status -eq 0 ]]; then
	echo "canary: PASS (libFuzzer and AFL++ found planted bug $plant," \
		"stored, replayed)"
fi
exit $status
