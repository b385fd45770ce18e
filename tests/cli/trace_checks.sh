#!/usr/bin/env bash
# The trace commands on runs that do not reproduce, are too big, or are
# damaged: export refuses (exit 1, nothing written); runs lists the good
# rows and flags the bad one; show prints a timeline that no longer
# matches its hash, marked not verified; the recording's cost is in the
# summary; sqlite3 reads names.
#
# usage: trace_checks.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	[[ -s $tmp/out ]] && head -n 10 "$tmp/out" >&2
	[[ -s $tmp/err ]] && head -n 5 "$tmp/err" >&2
	exit 1
}

run() {
	local want=$1 got=0
	shift
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	[[ $got -eq $want ]] || fail "ringside $*: exit $got, expected $want"
}

"$ringside" sim --seed 1 --runs 6 --steps 300 --plant lost-token \
	--db t.db --quiet >/dev/null 2>&1 || true
[[ $(sqlite3 t.db "SELECT count(*) FROM runs WHERE outcome = 'fail'") -ge 3 ]] ||
	fail "the planted campaign has too few failures"
mapfile -t ids < <(sqlite3 t.db "SELECT id FROM runs WHERE outcome = 'fail' ORDER BY id LIMIT 3")
a=${ids[0]} b=${ids[1]} c=${ids[2]}

# --- export -----------------------------------------------------------------
run 0 export t.db "$a" --format c -o good.c
grep -q '^#define PREFIX_HASH 0x' good.c || fail "the exported test checks no scenario"
sqlite3 t.db "UPDATE runs SET event_hash = event_hash + 1 WHERE id = $b"
run 1 export t.db "$b" --format c -o bad.c
grep -q 'does not reproduce' err || fail "export of a run that does not reproduce: no message"
[[ ! -e bad.c ]] || fail "export of a run that does not reproduce wrote a file"
sqlite3 t.db "UPDATE runs SET choices = zeroblob(8 * 300000) WHERE id = $c"
run 1 export t.db "$c" --format c
grep -q 'minimise it first' err || fail "export of a huge run: no message"
[[ ! -s out ]] || fail "export of a huge run wrote C"
echo "export: refuses runs that do not reproduce and runs too big"
# --- the recording's cost, bounded; names for sqlite3 ------------------------
# passing runs cost no events (they are regenerated when read): the
# failing runs' stored events reach the cap
run 1 sim --seed 1 --runs 80 --plant lost-token --record all --record-cap 1 \
	--db all.db --quiet
grep -Eq '^recorded: 80 runs, [0-9]+ events, [0-9.]+ MB in all.db \([0-9.]+ KB per run\)$' out ||
	fail "the summary does not say what was stored"
grep -Eq '^recorded: [0-9]+ runs without their events \(--record-cap 1 MB reached\)$' out ||
	fail "the summary does not say the cap was reached"
grep -q 'record-cap 1 MB reached' err || fail "no warning when the cap is reached"
[[ $(sqlite3 all.db 'SELECT count(*) FROM runs WHERE has_events = 0') -gt 0 ]] ||
	fail "the cap did not stop storing events"
[[ $(sqlite3 all.db "SELECT count(*) FROM events_named WHERE actor = 'driver' AND kind = 'kick'") -gt 0 ]] ||
	fail "events_named does not name actors and kinds"
[[ $(sqlite3 all.db "SELECT count(*) FROM behaviours_named WHERE behaviour = 'used-idx-ahead'") -ge 0 ]] ||
	fail "behaviours_named is missing"
[[ $(sqlite3 all.db "SELECT name FROM behaviour_names WHERE behaviour = 0") != "" ]] ||
	fail "behaviour_names is empty"
echo "--record all: its cost in the summary, capped; names for sqlite3"

# --- runs without events: no legend for a mark nobody has ----------------------
run 0 sim --seed 1 --runs 3 --steps 100 --db plain.db --quiet
run 0 runs plain.db
grep -q '^3 runs$' out || fail "runs: the count line is not '3 runs': $(tail -n 1 out)"
run 0 runs all.db
grep -Eq '^80 runs, [0-9]+ with events stored \(\*\), [0-9]+ with events regenerated \(\+\)$' out ||
	fail "runs: no count of runs with events: $(tail -n 1 out)"
echo "runs: the count line says what is marked"

# --- one damaged row, tampered events ------------------------------------------
cp all.db dmg.db
stored=$(sqlite3 dmg.db 'SELECT min(id) FROM runs WHERE has_events = 1 AND id > 2')
sqlite3 dmg.db "UPDATE runs SET mode = 9 WHERE id = 2; UPDATE events SET a = a + 1 WHERE run = $stored AND seq = 5"
run 2 runs dmg.db
grep -Eq '^ +2 DAMAGED: .*mode is 9' out || fail "runs: the damaged row is not flagged"
[[ $(grep -Ec '^ +[0-9]+ sim ' out) -eq 79 ]] || fail "runs: the good rows are not all listed"
grep -q '1 DAMAGED' out || fail "runs: the count line does not count the damaged row"
run 2 runs --json dmg.db
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["damaged"] == 1 and len(d["runs"]) == 80, d["damaged"]' <out ||
	fail "runs --json: the damaged row is not flagged"
run 2 show dmg.db "$stored"
grep -q '^NOT VERIFIED: ' out || fail "show: the timeline is not marked not verified"
[[ $(grep -Ec '^  +[0-9]+ +[0-9]+ (world|driver|device|config) ' out) -gt 10 ]] ||
	fail "show: no timeline printed"
echo "a damaged row: listed and flagged; tampered events: shown, not verified"

# --- a missing value reads the same whichever option follows ---------------------
run 2 sim --seed --no-db
grep -q "option '--seed' needs a value" err || fail "sim --seed --no-db: $(head -n 1 err)"
run 2 runs --limit --json all.db
grep -q "option '--limit' needs a value" err || fail "runs --limit --json: $(head -n 1 err)"
run 2 qemu --device --json
grep -q "option '--device' needs a value" err || fail "qemu --device --json: $(head -n 1 err)"
echo "missing values: one message"
echo "1 passed, 0 failed"
