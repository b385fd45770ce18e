#!/usr/bin/env bash
# Campaigns in worker processes (tools/cli_sim.c, tools/isolate.h): a run
# that crashes or hangs is a recorded failing run and the campaign goes
# on; the output does not depend on the number of workers; Ctrl-C and
# SIGTERM print the summary of the runs done so far (exit 130, 143).
#
#   ringside        the real one: determinism across --jobs, signals
#   ringside_plant6 a ring whose invariant assert fires (virtio_ring.c
#                   note 8, bug 6): a 2,000-seed campaign records every
#                   crashing seed and every other run; replay reproduces a
#                   crash, the real ring does not; minimise keeps the
#                   crash; export embeds its choices
#   ringside_plant7 a ring that spins forever (bug 7): --run-timeout cuts
#                   the runs, each is a hang run that replay reproduces
#
# usage: test_crash.sh RINGSIDE RINGSIDE_PLANT6 RINGSIDE_PLANT7
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 RINGSIDE RINGSIDE_PLANT6 RINGSIDE_PLANT7" >&2
	exit 2
fi
ringside=$1
plant6=$2
plant7=$3
tmp=$(mktemp -d)
bg=
cleanup() {
	if [[ -n $bg ]]; then kill -KILL "$bg" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

checks=0
fail() {
	echo "FAIL: $*" >&2
	for f in out err; do
		if [[ -s $tmp/$f ]]; then
			echo "--- $f:" >&2
			head -n 30 "$tmp/$f" >&2
		fi
	done
	exit 1
}
# run EXPECTED_STATUS PROGRAM ARGS...
run() {
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	checks=$((checks + 1))
	[[ $got -eq $want ]] || fail "$*: exit $got, expected $want"
}
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || fail "$3: no line matches '$2'"
}
equal() {
	checks=$((checks + 1))
	[[ $1 == "$2" ]] || fail "$3: '$1', expected '$2'"
}
sql() {
	sqlite3 "$1" "$2"
}
# The output without its timings (the only part that may differ).
untimed() {
	sed -E -e '/^time: /d' \
		-e 's/"seconds": [0-9.]+, "runs_per_second": [0-9.]+, "steps_per_second": [0-9]+, //' "$1"
}

# --- the same output for every number of workers --------------------------
for n in 1 2 4; do
	run 1 "$ringside" sim --seeds 1..120 --steps 500 --plant lost-token \
		--jobs $n --quiet --db "j$n.db"
	untimed "$tmp/out" >"text$n"
	run 1 "$ringside" sim --seeds 1..120 --steps 500 --plant lost-token \
		--jobs $n --quiet --json --db "json$n.db"
	untimed "$tmp/out" >"json$n"
	equal "$(sql "j$n.db" 'select count(*), count(distinct seed) from runs')" \
		"120|120" "--jobs $n records every run once"
done
has text1 '^FAIL seed=' "the campaign has failures to compare"
has text1 'replay with: ringside replay j1.db' "failures are recorded"
for n in 2 4; do
	cmp -s <(sed "s/j$n.db/j1.db/g" "text$n") text1 ||
		fail "text output with --jobs $n differs from --jobs 1"
	cmp -s <(sed "s/json$n.db/json1.db/g" "json$n") json1 ||
		fail "JSON output with --jobs $n differs from --jobs 1"
	equal "$(sql "j$n.db" 'select group_concat(seed || oracle) from runs where outcome = "fail"')" \
		"$(sql j1.db 'select group_concat(seed || oracle) from runs where outcome = "fail"')" \
		"--jobs $n stores the same failures under the same ids"
	checks=$((checks + 2))
done

# --- a crash is a recorded run, and the campaign goes on -------------------
run 1 "$plant6" sim --runs 2000 --steps 500 --jobs 2 --quiet --db crash.db
cp "$tmp/out" crash.txt
has crash.txt '^runs: 2000, ' "the campaign runs all 2000 seeds"
has crash.txt '^  crash +[0-9]+' "crashes are counted by oracle"
has crash.txt '^FAIL seed=[0-9]+ device=any oracle=crash step=0: SIGABRT in virtio_ring.c:[0-9]+: .*Assertion' \
	"a crash names its signal, place and assert"
has crash.txt '^  reproduce with: ringside sim --seed [0-9]+ ' "a crash's reproduce line"
has crash.txt '^  replay with: ringside replay crash.db [0-9]+' "a crash's replay line"
crashes=$(sed -nE 's/^  crash +([0-9]+)$/\1/p' crash.txt)
[[ $crashes -ge 20 ]] || fail "only $crashes crashes in 2000 seeds"
equal "$(sql crash.db 'select count(*), count(distinct seed), min(seed), max(seed) from runs')" \
	"2000|2000|1|2000" "every run of the campaign is stored, once"
equal "$(sql crash.db "select count(*) from runs where oracle = 'crash'")" \
	"$crashes" "every crash is stored"
equal "$(sql crash.db "select count(*) from runs where oracle = 'crash' and (choices is null or input is null)")" \
	"0" "a crash run keeps its choices and its report"
first=$(sql crash.db "select id from runs where oracle = 'crash' order by seed limit 1")
seed=$(sql crash.db "select seed from runs where id = $first")

run 0 "$plant6" replay crash.db "$first"
has "$tmp/out" '^reproduced: crashed again with SIGABRT in virtio_ring.c:[0-9]+$' \
	"replay of a crash reproduces it"
has "$tmp/out" 'Assertion' "replay shows the report"
run 0 "$plant6" replay crash.db "$first" --json
has "$tmp/out" '"reproduced": true' "replay --json of a crash"
run 0 "$ringside" show crash.db "$first"
has "$tmp/out" '^  .*Assertion' "show of a crash run prints its report"
has "$tmp/out" '^timeline: none, the run crashed' "show of a crash run has no timeline"
run 1 "$ringside" replay crash.db "$first"
has "$tmp/out" '^DIVERGED: expected SIGABRT in virtio_ring.c:[0-9]+; the re-execution ended \(passed\)' \
	"the fixed ring does not crash: replay says so"
# the reproduce line repeats the crash
run 1 "$plant6" sim --seed "$seed" --steps 500 --no-db
has "$tmp/out" '^result: FAILED oracle=crash step=0: SIGABRT' "a single crashing run"
has "$tmp/out" '^report:' "a single crashing run shows its report"

# minimise keeps the same crash; export embeds the choices
run 0 "$plant6" minimise crash.db "$first" --max-runs 40 --quiet
has "$tmp/out" "^minimised run $first \\(crash SIGABRT in virtio_ring.c:[0-9]+\\): choices [0-9]+ -> [0-9]+" \
	"minimise of a crash run"
small=$(sed -nE 's/^stored as run ([0-9]+) .*/\1/p' "$tmp/out")
run 0 "$plant6" replay crash.db "$small"
has "$tmp/out" '^reproduced: crashed again with SIGABRT' "the minimised run crashes the same way"
run 0 "$plant6" export crash.db "$small" --format c -o crash_test.c
has crash_test.c '^static const u64 choices\[\]' "export of a crash run embeds its choices"

# --stop-on-failure: the old behaviour, at the first failure
firstfail=$(sql crash.db "select min(seed) from runs where outcome = 'fail'")
run 1 "$plant6" sim --runs 2000 --steps 500 --jobs 2 --quiet \
	--stop-on-failure --no-db
has "$tmp/out" "^runs: $firstfail, passed: $((firstfail - 1)), failed: 1$" \
	"--stop-on-failure stops at the first failure"
has "$tmp/out" '^stopped at the first failure' "--stop-on-failure says so"

# --- a hang is cut by the per-run limit -----------------------------------
run 1 "$plant7" sim --runs 120 --steps 500 --jobs 2 --quiet \
	--run-timeout 0.5 --db hang.db
has "$tmp/out" '^runs: 120, ' "the hanging campaign runs all its seeds"
has "$tmp/out" '^FAIL seed=[0-9]+ device=any oracle=hang step=0: hang: still running after 0.5 s' \
	"a hang is a failing run"
hangs=$(sed -nE 's/^  hang +([0-9]+)$/\1/p' "$tmp/out")
[[ $hangs -ge 3 ]] || fail "only $hangs hangs in 120 seeds"
equal "$(sql hang.db 'select count(*), count(distinct seed) from runs')" \
	"120|120" "every run of the hanging campaign is stored"
equal "$(sql hang.db "select count(*) from runs where oracle = 'hang'")" "$hangs" \
	"every hang is stored"
hang=$(sql hang.db "select id from runs where oracle = 'hang' order by seed limit 1")
run 0 "$plant7" replay hang.db "$hang"
has "$tmp/out" '^reproduced: hung again' "replay of a hang reproduces it"
[[ -z $(pgrep -f -- '--db hang.db' || true) ]] || fail "a hung worker is left running"

# --- Ctrl-C and SIGTERM: the summary so far, exit 130 or 143 ---------------
for sig in INT TERM; do
	rm -f sig.db*
	"$ringside" sim --runs 100000000 --jobs 2 --quiet --db sig.db \
		>"$tmp/out" 2>"$tmp/err" &
	bg=$!
	sleep 2
	kill -$sig "$bg"
	got=0
	wait "$bg" || got=$?
	bg=
	equal "$got" "$([[ $sig == INT ]] && echo 130 || echo 143)" \
		"SIG$sig exit status"
	has "$tmp/out" '^interrupted: [0-9]+ of 100000000 runs done' "SIG$sig summary"
	done_runs=$(sed -nE 's/^runs: ([0-9]+),.*/\1/p' "$tmp/out")
	[[ $done_runs -gt 0 ]] || fail "SIG$sig: no run done"
	equal "$(sql sig.db 'select count(*) from runs')" "$done_runs" \
		"SIG$sig: every run done is recorded"
	checks=$((checks + 2))
done
	[[ -z $(pgrep -f -- '--db sig.db' || true) ]] ||
		fail "SIG$sig: a worker outlived its campaign"

echo "test_crash: $checks checks passed"
