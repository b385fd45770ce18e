#!/usr/bin/env bash
# Several processes record into one trace file (replay/recorder.h): no run
# is lost, whatever the number of writers, the length of the campaign or
# another program holding the write lock; a file that cannot be written
# stops the campaign at once with exit status 2, saying what was kept.
#
# usage: writers.sh PATH/TO/ringside CASE [SCALE]
# CASE: four (4 writers), eight (8 writers, --record all), blocked (a
# writer blocked for 15 s by another program's transaction) or full (a
# file that cannot grow). SCALE (default 1) multiplies the runs of four
# and eight: the issue's sizes (4 x 20,000 and 8 x 2,000) are SCALE 20
# and 40 in a release build.
set -euo pipefail

if [[ $# -lt 2 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside four|eight|blocked|full [SCALE]" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case=$2
scale=${3:-1}
tmp=$(mktemp -d)
holder=
cleanup() {
	[[ -n $holder ]] && kill "$holder" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	for f in "$tmp"/err.*; do
		[[ -s $f ]] && { echo "--- $f" >&2; head -n 5 "$f" >&2; }
	done
	exit 1
}

count() { sqlite3 "$1" 'SELECT count(*) FROM runs'; }
intact() {
	[[ $(sqlite3 "$1" 'PRAGMA integrity_check') == ok ]] ||
		fail "$1: integrity_check is not ok"
}

# writers N RUNS STEPS DB [ARGS...]: N campaigns at once on disjoint seeds;
# each must exit 0 having recorded every run.
writers() {
	local n=$1 runs=$2 steps=$3 db=$4 i pids=()
	shift 4
	for ((i = 0; i < n; i++)); do
		"$ringside" sim --seed $((i * 1000000 + 1)) --runs "$runs" \
			--steps "$steps" --db "$db" --quiet "$@" \
			>"$tmp/out.$i" 2>"$tmp/err.$i" &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		wait "${pids[$i]}" || fail "writer $i of $n exited $?"
	done
	[[ $(count "$db") -eq $((n * runs)) ]] ||
		fail "$db: $(count "$db") runs of $((n * runs))"
	intact "$db"
}

case_four() {
	# campaigns longer than the old 10 s lock wait, on every writer
	writers 4 $((1000 * scale)) 2000 four.db
	echo "4 writers x $((1000 * scale)) runs: all kept"
}

case_eight() {
	writers 8 $((50 * scale)) 2000 eight.db --record all
	[[ $(sqlite3 eight.db 'SELECT count(*) FROM runs WHERE has_events = 0') -eq 0 ]] ||
		fail "eight.db: runs without their events"
	echo "8 writers x $((50 * scale)) runs, --record all: all kept"
}

# Another program holds a write transaction for 15 s: the writer waits
# and keeps every run.
case_blocked() {
	local start=$SECONDS
	"$ringside" sim --seed 1 --runs 1 --db blocked.db --quiet >/dev/null
	{
		echo 'BEGIN IMMEDIATE;'
		echo "INSERT INTO meta VALUES('holder', '1');"
		sleep 15
		echo 'COMMIT;'
	} | sqlite3 blocked.db &
	holder=$!
	sleep 1
	"$ringside" sim --seed 100 --runs 300 --steps 200 --db blocked.db \
		--quiet >"$tmp/out.b" 2>"$tmp/err.b" ||
		fail "blocked writer exited $?"
	wait "$holder"
	holder=
	[[ $(count blocked.db) -eq 301 ]] ||
		fail "blocked.db: $(count blocked.db) runs of 301"
	intact blocked.db
	[[ $((SECONDS - start)) -ge 14 ]] ||
		fail "the writer did not wait for the lock"
	echo "a writer blocked for 15 s: all kept"
}

# A file that cannot grow (a file size limit of 128 KB: rows of --record
# all are a few hundred bytes): exit 2 at once, saying
# how many runs the file keeps.
case_full() {
	local got=0 kept ran
	(
		trap '' XFSZ
		ulimit -f 128
		exec "$ringside" sim --seed 1 --runs 3000 --record all \
			--db full.db >"$tmp/out.f" 2>"$tmp/err.f"
	) || got=$?
	[[ $got -eq 2 ]] || fail "a full file: exit $got, expected 2"
	grep -Eq 'recording failed, the campaign stops: .*\(([0-9]+) of [0-9]+ runs kept' "$tmp/err.f" ||
		fail "a full file: no message saying what was kept"
	kept=$(sed -En 's/.*\(([0-9]+) of [0-9]+ runs kept.*/\1/p' "$tmp/err.f")
	[[ $(count full.db) -eq $kept ]] ||
		fail "full.db: $(count full.db) runs, the message says $kept"
	ran=$(sed -En 's/^runs: ([0-9]+),.*/\1/p' "$tmp/out.f")
	[[ -n $ran && $ran -lt 1000 ]] ||
		fail "a full file: the campaign went on ($ran runs)"
	echo "a file that cannot be written: exit 2 after $ran runs, $kept kept"
}

case $case in
four | eight | blocked | full) "case_$case" ;;
*) fail "unknown case '$case'" ;;
esac
echo "1 passed, 0 failed"
