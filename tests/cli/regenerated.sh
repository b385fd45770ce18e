#!/usr/bin/env bash
# Runs recorded with --record all keep their events as their seed
# (has_events 2, replay/README.md): show and export regenerate them,
# checked against the run's event count and hash; a regeneration that
# differs is shown NOT VERIFIED, never as the run's; ringside materialise
# stores them, after which the example queries of replay/README.md give
# the answers they gave when every event was stored (readme_queries.expected:
# first made by the ringside that stored every event and matched; made
# again through materialise when the world's draws changed); a
# version 1 file still opens and is upgraded by a writer; a newer version
# is refused, naming it.
#
# If the world's draws change (the determinism digest with them), make
# readme_queries.expected again: record the campaign below with a ringside
# that stores every event, then run the queries as query_all does.
#
# usage: regenerated.sh PATH/TO/ringside PATH/TO/replay/README.md
#        PATH/TO/readme_queries.expected
set -euo pipefail

if [[ $# -ne 3 || ! -x $1 || ! -f $2 || ! -f $3 ]]; then
	echo "usage: $0 PATH/TO/ringside README.md EXPECTED" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
readme=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
expected=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
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

# The example queries of the README, one per file: q1.sql, q2.sql, ...
awk '/^```sql$/ { on = 1; next } /^```$/ { on = 0 } on' "$readme" |
	grep -v '^--' | awk -v RS=';' 'NF { n++; print $0 ";" > ("q" n ".sql") }'
[[ -s q3.sql ]] || fail "the README has fewer than 3 example queries"
grep -q 'run = 17' q1.sql || fail "the first example query no longer names run 17"

# query_all DB: the first query for the first passing and failing runs in
# place of 17, then the others.
query_all() {
	local id q
	for id in "$p1" "$f1"; do
		echo "-- query 1, a run"
		sed "s/run = 17/run = $id/" q1.sql | sqlite3 "$1"
	done
	for q in q[2-9].sql; do
		echo "-- query ${q//[^0-9]/}"
		sqlite3 "$1" <"$q"
	done
}

# --- a campaign with --record all: rows only, events regenerated ------------
run 1 sim --seed 1 --runs 20 --steps 200 --plant lost-token --record all \
	--db t.db --quiet
pass=$(sqlite3 t.db "SELECT count(*) FROM runs WHERE outcome = 'pass'")
p1=$(sqlite3 t.db "SELECT min(id) FROM runs WHERE outcome = 'pass'")
p2=$(sqlite3 t.db "SELECT max(id) FROM runs WHERE outcome = 'pass'")
f1=$(sqlite3 t.db "SELECT min(id) FROM runs WHERE outcome = 'fail'")
grep -Eq "^recorded: $pass runs with their events regenerated when read" out ||
	fail "the summary does not count the regenerated runs"
[[ $(sqlite3 t.db 'SELECT count(*) FROM runs WHERE has_events = 2') -eq $pass &&
	$(sqlite3 t.db "SELECT count(*) FROM runs WHERE has_events = 1 AND outcome = 'fail'") -eq $((20 - pass)) ]] ||
	fail "passing runs are not regenerated, or failing runs not stored"
[[ $(sqlite3 t.db 'PRAGMA user_version') -eq 2 ]] || fail "a new file is not version 2"
run 0 runs t.db
grep -q "^20 runs, $((20 - pass)) with events stored (\\*), $pass with events regenerated (+)$" out ||
	fail "runs: the count line: $(tail -n 1 out)"
grep -Eq "^ +$p1 sim .* [0-9]+\+ -$" out || fail "runs: run $p1 is not marked +"
run 0 show t.db "$p1"
grep -q '^regenerated: from its seed, verified against its event count and hash$' out ||
	fail "show: no word on where the events came from"
n=$(sqlite3 t.db "SELECT events FROM runs WHERE id = $p1")
grep -q "^timeline: $n events" out || fail "show: not the run's $n events"
[[ $(grep -Ec '^  +[0-9]+ +[0-9]+ [a-z]+ ' out) -eq $n ]] ||
	fail "show: the timeline does not have $n lines"
run 0 export t.db "$p1" --format json
python3 -c "import json,sys; d=json.load(sys.stdin); assert d['events_regenerated'] and len(d['timeline']) == $n, d.keys()" <out ||
	fail "export json: the regenerated events are missing"
run 0 replay t.db "$p1"
grep -q '^events regenerated, not stored' out || fail "replay: no word on regeneration"
echo "--record all: rows only; show, export and replay regenerate the events"

# --- a regeneration that differs is never shown as the run's ----------------
cp t.db bad.db
sqlite3 bad.db "UPDATE runs SET event_hash = event_hash + 1 WHERE id = $p1;
	UPDATE runs SET config = replace(config, 'steps=200', 'steps=199') WHERE id = $p2"
for id in "$p1" "$p2"; do
	run 2 show bad.db $id
	grep -q '^NOT VERIFIED: .*regenerated from its seed' out ||
		fail "show of run $id: a regeneration that differs is not marked"
	grep -q '^NOT VERIFIED: the events above are not the run' out ||
		fail "show of run $id: no closing mark"
	run 2 export bad.db $id --format json
	grep -q 'not the one that recorded it' err || fail "export json of run $id: no error"
	run 2 materialise bad.db $id
	grep -q 'NOT VERIFIED' err || fail "materialise of run $id: no error"
done
[[ $(sqlite3 bad.db "SELECT count(*) FROM events WHERE run IN ($p1, $p2)") -eq 0 ]] ||
	fail "materialise stored events that do not match"
echo "a regeneration that differs: NOT VERIFIED, never stored"

# --- materialise: the README's queries give the answers of before ----------
sed "s/run = 17/run = $p1/" q1.sql | sqlite3 t.db >before.out
[[ ! -s before.out ]] || fail "events of a regenerated run are in the table before materialise"
run 0 materialise t.db
grep -q "^materialised: $pass runs, [0-9]* events stored in t.db$" out ||
	fail "materialise: $(cat out)"
query_all t.db >got.out
diff -u "$expected" got.out >diff.out || {
	head -n 20 diff.out >&2
	fail "the README's queries answer differently after materialise"
}
run 0 materialise t.db
grep -q '^materialised: 0 runs' out || fail "materialise twice stored again"
run 0 runs t.db
grep -q '^20 runs, 20 with events stored (\*)$' out || fail "runs after materialise: $(tail -n 1 out)"
run 0 show t.db "$p1"
grep -q '^timeline: ' out || fail "show of a materialised run"
# a passing run of --record failures, named
run 0 sim --seed 1 --runs 3 --steps 100 --db f.db --quiet
run 0 materialise f.db 1 2
grep -q '^materialised: 2 runs' out || fail "materialise of named runs: $(cat out)"
echo "materialise: the README's queries as before; named runs"

# --- versions ----------------------------------------------------------------
run 0 sim --seed 1 --runs 3 --steps 100 --db v1.db --quiet
sqlite3 v1.db "PRAGMA user_version = 1; UPDATE meta SET value = '1' WHERE key = 'schema_version'"
run 0 runs v1.db
run 0 show v1.db 1
[[ $(sqlite3 v1.db 'PRAGMA user_version') -eq 1 ]] || fail "reading a version 1 file changed it"
run 0 sim --seed 10 --runs 2 --steps 100 --record all --db v1.db --quiet
[[ $(sqlite3 v1.db 'PRAGMA user_version') -eq 2 &&
	$(sqlite3 v1.db "SELECT value FROM meta WHERE key = 'schema_version'") -eq 2 ]] ||
	fail "a writer did not make a version 1 file version 2"
run 0 show v1.db 5
sqlite3 v1.db "PRAGMA user_version = 3"
run 2 show v1.db 1
grep -q 'schema version 3, this ringside reads versions 1 to 2' err ||
	fail "a newer file: $(cat err)"
echo "versions: 1 read and upgraded on writing, 3 refused by name"
echo "1 passed, 0 failed"
