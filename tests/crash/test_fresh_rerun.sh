#!/usr/bin/env bash
# A failing run is recorded from a run of its seed in a fresh process
# (tools/cli_sim.c, take_fresh), so that it replays alone even when
# the ring under test carries state from one run to the next: here a bus
# that never frees a removed device's index (plant index-not-freed). The
# campaign records its failures; each failure recorded with its events
# replays (exit 0); none is the second run of its seed in the worker that
# had just run it (the old way: it started from the index the first run
# leaked and did not replay).
#
# usage: test_fresh_rerun.sh RINGSIDE_PLANT_INDEX_NOT_FREED
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 RINGSIDE_PLANT_INDEX_NOT_FREED" >&2
	exit 2
fi
plant=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	for f in out err; do
		[[ -s $tmp/$f ]] && { echo "--- $f:" >&2; tail -20 "$tmp/$f" >&2; }
	done
	exit 1
}

status=0
"$plant" sim --seeds 1..30 --device any --adversary swarm --jobs 2 \
	--db t.db >out 2>err || status=$?
[[ $status -eq 1 ]] || fail "the campaign exited $status, not 1 (failures)"

ids=$("$plant" runs t.db --outcome fail --json |
	python3 -c 'import json, sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)["runs"] if r["has_events"]))')
[[ -n $ids ]] || fail "no failing run was recorded with its events"
n=0
for id in $ids; do
	"$plant" replay t.db "$id" >replay.out 2>&1 ||
		fail "failing run $id does not replay: $(tail -3 replay.out)"
	n=$((n + 1))
done
grep -q 'ran differently the second time' err &&
	fail "a failing run was recorded from its second run in its worker"
# Fresh runs go on beside the workers. Interrupted, the campaign stops at
# once (it does not make the fresh runs still owed one after the other),
# says how many failing runs went without theirs, and leaves no process.
"$plant" sim --seeds 1..100000 --device any --adversary swarm --jobs 2 \
	--db i.db --quiet >out 2>err &
pid=$!
for _ in $(seq 50); do
	[[ -s i.db ]] && break
	sleep 0.1
done
sleep 1
kill -INT "$pid"
start=$SECONDS
status=0
wait "$pid" || status=$?
[[ $status -eq 130 ]] || fail "the interrupted campaign exited $status, not 130"
((SECONDS - start <= 10)) ||
	fail "the interrupted campaign took $((SECONDS - start)) s to stop"
grep -q 'failing runs recorded without their events: the campaign stopped' \
	err || fail "no word of the failing runs left without a fresh run"
pgrep -f "$plant sim --seeds 1..100000" >/dev/null &&
	fail "a process of the interrupted campaign is left"
echo "ok: $n failing runs recorded with their events, each replays;" \
	"an interrupted campaign stops at once"
