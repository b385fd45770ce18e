#!/usr/bin/env bash
# Tests of the ringside command-line program (tools/ringside.c,
# tools/cli_*.c): help, usage errors and their exit status, the catalogue,
# single runs and campaigns (determinism, summaries, JSON), that the
# printed "reproduce with:" command repeats the failing run, and the
# commands on trace files: runs, show, replay, minimise, export, merge.
#
# usage: test_cli.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# sim records into ./ringside.db by default: keep it in the temporary folder
cd "$tmp"

checks=0
fail() {
	echo "FAIL: $*" >&2
	if [[ -s $tmp/out ]]; then
		echo "--- stdout:" >&2
		head -n 40 "$tmp/out" >&2
	fi
	if [[ -s $tmp/err ]]; then
		echo "--- stderr:" >&2
		head -n 20 "$tmp/err" >&2
	fi
	exit 1
}

# run EXPECTED_STATUS ARGS...: runs ringside, output in $tmp/out and
# $tmp/err, and checks the exit status.
run() {
	local want=$1 got=0
	shift
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	checks=$((checks + 1))
	[[ $got -eq $want ]] || fail "ringside $*: exit $got, expected $want"
}

# has FILE REGEX WHAT
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || fail "$3: no line matches '$2'"
}

json_ok() {
	checks=$((checks + 1))
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" ||
			fail "$2: not valid JSON"
	else
		[[ $(head -c 1 "$1") == "{" || $(head -c 1 "$1") == "[" ]] ||
			fail "$2: does not start a JSON value"
		has "$1" '[}\]]$' "$2"
	fi
}

# --- help -----------------------------------------------------------------
run 0 --help
has "$tmp/out" '^usage: ringside' "ringside --help"
has "$tmp/out" '^  sim ' "ringside --help lists sim"
run 0 help
has "$tmp/out" '^usage: ringside' "ringside help"
# every command listed has its own --help and help COMMAND (an alias, such
# as robustness for check --robustness, shows the usage of what it is)
"$ringside" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands/ {print $1}' >"$tmp/commands"
[[ -s $tmp/commands ]] || fail "ringside --help lists no commands"
while read -r cmd; do
	run 0 "$cmd" --help
	has "$tmp/out" "^usage: ringside ($cmd|check --$cmd)" "ringside $cmd --help"
	run 0 help "$cmd"
	has "$tmp/out" "^usage: ringside ($cmd|check --$cmd)" "ringside help $cmd"
done <"$tmp/commands"
run 0 sim --help
for opt in --seed --runs --seeds --device --adversary --list-adversaries \
	--steps --json --quiet --plant 'Exit status'; do
	has "$tmp/out" "$opt" "ringside sim --help mentions $opt"
done

# --- usage errors: exit 2, naming the offender, usage on stderr ----------------
run 2
has "$tmp/err" 'usage: ringside' "no command"
run 2 frobnicate
has "$tmp/err" "unknown command 'frobnicate'" "unknown command"
has "$tmp/err" 'usage: ringside' "unknown command prints usage"
run 2 help frobnicate
has "$tmp/err" "unknown command 'frobnicate'" "help of an unknown command"
run 2 sim --frobnicate
has "$tmp/err" "unknown option '--frobnicate'" "unknown option"
has "$tmp/err" 'usage: ringside sim' "unknown option prints sim usage"
for bad in 12abc -1 0x 0xfg ' 5' 18446744073709551616; do
	run 2 sim --seed "$bad"
	has "$tmp/err" "bad --seed value '$bad'" "bad --seed '$bad'"
done
run 2 sim --seed
has "$tmp/err" "'--seed' needs a value" "--seed without a value"
# every command that records takes --db FILE: without a file it is a usage
# error that names the option, and nothing is recorded
for cmd in qemu vhost check robustness; do
	for bad in --db --db=; do
		run 2 $cmd "$bad"
		has "$tmp/err" "--db needs a file name" "ringside $cmd $bad"
	done
done
[[ ! -e ringside.db ]] || fail "a --db usage error left ringside.db behind"
for bad in 5..1 ..5 5.. 1-5 a..b 5; do
	run 2 sim --seeds "$bad"
	has "$tmp/err" "bad --seeds value '$bad'" "bad --seeds '$bad'"
done
run 2 sim --runs 0
has "$tmp/err" "bad --runs value '0'" "--runs 0"
run 2 sim --seed 18446744073709551615 --runs 2
has "$tmp/err" 'past the last seed' "--runs past 2^64-1"
run 2 sim --adversary delay,no-such-behaviour
has "$tmp/err" "unknown behaviour 'no-such-behaviour'" "bad --adversary"
has "$tmp/err" 'list-adversaries' "bad --adversary points to the list"
run 2 sim --device toaster
has "$tmp/err" "unknown device 'toaster'" "bad --device"
run 2 sim --plant nothing
has "$tmp/err" "unknown fault 'nothing'" "bad --plant"
run 2 sim --seeds 1..2 --runs 2
has "$tmp/err" 'cannot go with' "--seeds with --runs"
run 2 sim stray
has "$tmp/err" "unknown argument 'stray'" "stray argument"

# --- the catalogue ----------------------------------------------------------
run 0 sim --list-adversaries
checks=$((checks + 1))
n=$(grep -Ec '^ ?[0-9]+ +[a-z-]+ +(legal|illegal) ' "$tmp/out")
[[ $n -eq 27 ]] || fail "--list-adversaries lists $n behaviours, not 27"
for i in $(seq 0 26); do
	has "$tmp/out" "^ ?$i [a-z]" "--list-adversaries has number $i"
done
for name in out-of-order used-id-range rewrite-avail hot-unplug alloc-fail \
	mid-read mid-read-rewrite; do
	has "$tmp/out" " $name " "--list-adversaries lists $name"
done
run 0 sim --list-adversaries --json
json_ok "$tmp/out" "--list-adversaries --json"

# --- a single run -----------------------------------------------------------
run 0 sim --seed 5 --device entropy
checks=$((checks + 1))
[[ $(head -n 1 "$tmp/out") == "seed=5" ]] || fail "first line is not seed=5"
has "$tmp/out" '^result: passed$' "single run verdict"
has "$tmp/out" '^device: entropy \((legacy|1\.x)\)$' "single run device"
has "$tmp/out" '^steps: 2000$' "single run steps"
has "$tmp/out" '^events: [0-9]+ \(hash 0x[0-9a-f]{16}\)$' "single run hash"
has "$tmp/out" '^tokens: added [0-9]+, got [0-9]+, detached [0-9]+$' \
	"single run tokens"
has "$tmp/out" '^behaviours: [0-9]+ enabled, [0-9]+ fired' "behaviours"
cp "$tmp/out" "$tmp/single1"
# determinism: the same command prints the same output, and 0x5 is 5
run 0 sim --seed 5 --device entropy
checks=$((checks + 1))
cmp -s "$tmp/single1" "$tmp/out" || fail "two runs of seed 5 differ"
run 0 sim --seed 0x5 --device entropy
checks=$((checks + 1))
cmp -s "$tmp/single1" "$tmp/out" || fail "--seed 0x5 differs from --seed 5"
# another seed is another run
run 0 sim --seed 6 --device entropy
checks=$((checks + 1))
[[ $(grep '^events' "$tmp/single1") != $(grep '^events' "$tmp/out") ]] ||
	fail "seeds 5 and 6 have the same event hash"
run 0 sim --seed 5 --device entropy --adversary none --steps 300
has "$tmp/out" '^steps: 300$' "--steps 300"
has "$tmp/out" '^behaviours: 0 enabled, 0 fired \(adversary none\)' \
	"--adversary none enables nothing"
run 0 sim --seed 5 --device entropy --json
json_ok "$tmp/out" "single run --json"
has "$tmp/out" '"seed": 5,' "single run --json seed"
has "$tmp/out" '"result": "passed"' "single run --json verdict"

# --- a campaign ---------------------------------------------------------------
run 0 sim --seeds 1..20 --device entropy --adversary swarm --quiet
checks=$((checks + 1))
[[ $(head -n 1 "$tmp/out") == "seed=1" ]] || fail "campaign first line"
has "$tmp/out" '^runs: 20, passed: 20, failed: 0$' "campaign counts"
has "$tmp/out" '^failures by oracle: none$' "campaign oracles"
has "$tmp/out" '^  entropy +20 runs, 0 failed$' "campaign per device"
has "$tmp/out" '^behaviour coverage:' "campaign coverage"
has "$tmp/out" '^ +23 alloc-fail ' "campaign coverage lists every behaviour"
checks=$((checks + 1))
[[ ! -s $tmp/err ]] || fail "--quiet campaign wrote to stderr"
grep -v '^time:' "$tmp/out" >"$tmp/campaign1"
# --runs from --seed is the same campaign, and it is deterministic
run 0 sim --seed 1 --runs 20 --device entropy --quiet
grep -v '^time:' "$tmp/out" >"$tmp/campaign2"
checks=$((checks + 1))
cmp -s "$tmp/campaign1" "$tmp/campaign2" ||
	fail "--seed 1 --runs 20 differs from --seeds 1..20"
run 0 sim --seeds 1..20 --device entropy --json --quiet
json_ok "$tmp/out" "campaign --json"
has "$tmp/out" '"runs": 20,' "campaign --json runs"
has "$tmp/out" '"coverage": \[' "campaign --json coverage"
has "$tmp/out" '"runs_per_second": ' "campaign --json speed"

# --- failures: exit 1, FAIL lines, and reproduce-with repeats the run ---------
# A planted false alarm fails every run; --device any draws the device.
run 1 sim --seeds 1..25 --device any --adversary none --plant false-break \
	--quiet
has "$tmp/out" '^runs: 25, passed: 0, failed: 25$' "failing campaign counts"
has "$tmp/out" '^  false-alarm +25$' "failures by oracle"
has "$tmp/out" '^FAIL seed=1 device=[a-z]+ oracle=false-alarm step=[0-9]+: ' \
	"FAIL line"
has "$tmp/out" '^\.\.\. 5 more$' "failures beyond 20 are counted"
checks=$((checks + 1))
[[ $(grep -c '^FAIL ' "$tmp/out") -eq 20 ]] || fail "not 20 FAIL lines"
checks=$((checks + 1))
[[ $(tail -n 1 "$tmp/out") == "reproduce with: ringside sim --seed 1 --device any --adversary none --steps 2000 --plant false-break" ]] ||
	fail "last line is not the reproduce command of seed 1"
cp "$tmp/out" "$tmp/failing"
# every shown failure: its command gives the same verdict at the same step
while read -r fail_line && read -r repro_line; do
	read -r -a args <<<"${repro_line#*reproduce with: ringside }"
	seed=$(sed -E 's/^FAIL seed=([0-9]+) .*/\1/' <<<"$fail_line")
	device=$(sed -E 's/.* device=([a-z]+) .*/\1/' <<<"$fail_line")
	verdict=$(sed -E 's/^FAIL seed=[0-9]+ device=[a-z]+ //' <<<"$fail_line")
	run 1 "${args[@]}"
	checks=$((checks + 1))
	[[ $(head -n 1 "$tmp/out") == "seed=$seed" ]] ||
		fail "reproduce of seed $seed: first line"
	checks=$((checks + 1))
	grep -Fxq "result: FAILED $verdict" "$tmp/out" ||
		fail "reproduce of seed $seed: not the same failure: $verdict"
	has "$tmp/out" "^device: $device " "reproduce of seed $seed: device"
done < <(grep -A1 '^FAIL ' "$tmp/failing" | grep -v '^--$')
run 1 sim --seeds 1..3 --device entropy --adversary none --plant false-break \
	--json --quiet
json_ok "$tmp/out" "failing campaign --json"
has "$tmp/out" '"failures": \[\{"seed": 1, ' "--json failures"
has "$tmp/out" '"reproduce": "ringside sim --seed 1 --device entropy' \
	"--json reproduce"
# a failing single run exits 1 and ends with its reproduce command
run 1 sim --seed 2 --device entropy --adversary none --plant false-break
has "$tmp/out" '^result: FAILED oracle=false-alarm step=' "failing single run"
checks=$((checks + 1))
[[ $(tail -n 1 "$tmp/out") == "reproduce with: ringside sim --seed 2 --device entropy --adversary none --steps 2000 --plant false-break" ]] ||
	fail "failing single run: last line"


# --- trace files: sim --db/--record, runs, show, replay, minimise, export,
# merge ----------------------------------------------------------------------
run 0 sim --help
for opt in --db --record --no-db; do
	has "$tmp/out" "$opt" "ringside sim --help mentions $opt"
done
run 0 runs --help
for opt in --outcome --oracle --source --device --limit --json 'Exit status'; do
	has "$tmp/out" "$opt" "ringside runs --help mentions $opt"
done
run 0 replay --help
for opt in --record --json 'Exit status: 0 reproduced, 1 diverged'; do
	has "$tmp/out" "$opt" "ringside replay --help mentions $opt"
done
run 0 minimise --help
has "$tmp/out" '--max-runs' "ringside minimise --help mentions --max-runs"
run 0 export --help
for opt in --format '-o FILE' --without-plants; do
	has "$tmp/out" "$opt" "ringside export --help mentions $opt"
done
run 0 merge --help
has "$tmp/out" '-o OUT.db' "ringside merge --help mentions -o"

run 2 sim --record sometimes
has "$tmp/err" "bad --record value 'sometimes'" "bad --record"
# the default trace file: sim creates ringside.db here, DB can be left out
rm -f ringside.db
run 1 sim --seed 2 --device entropy --adversary none --plant false-break
has "$tmp/out" '^replay with: ringside replay ringside.db 1$' \
	"a failing single run says how to replay it"
checks=$((checks + 1))
[[ -f ringside.db ]] || fail "sim did not create ringside.db"
run 0 replay 1
has "$tmp/out" '^reproduced: ' "replay with the default DB"
run 0 runs
has "$tmp/out" '^1 run(,|$)' "runs with the default DB"
# --no-db and --record none write nothing
mkdir nodb
(cd nodb && "$ringside" sim --seed 2 --device entropy --adversary none \
	--plant false-break --no-db >/dev/null) || true
(cd nodb && "$ringside" sim --seed 3 --record none >/dev/null) || true
checks=$((checks + 1))
[[ ! -e nodb/ringside.db ]] || fail "--no-db / --record none wrote ringside.db"

# errors: no such file, not a trace, unknown run, bad run numbers
for cmd in runs "show 1" "replay 1" "minimise 1" "export 1 --format c"; do
	read -r -a args <<<"$cmd"
	run 2 "${args[0]}" missing.db "${args[@]:1}"
	has "$tmp/err" 'missing\.db' "ringside $cmd on a missing file"
done
head -c 3000 /dev/urandom >junk.db
run 2 runs junk.db
has "$tmp/err" 'junk\.db' "runs on a file that is no trace"
run 2 show ringside.db 999
has "$tmp/err" '999' "show of an unknown run"
run 2 replay ringside.db 999
has "$tmp/err" '999' "replay of an unknown run"
for bad in abc 0 1x -; do
	run 2 show ringside.db "$bad"
	has "$tmp/err" "bad run number '$bad'" "show with run '$bad'"
done
run 2 replay nosuchfile
has "$tmp/err" "bad run number 'nosuchfile'" "replay of a lone non-number"
run 2 show ringside.db
has "$tmp/err" 'no RUN given' "show without a run"
run 2 replay 1 --frobnicate
has "$tmp/err" "unknown option '--frobnicate'" "replay: unknown option"
run 2 export 1
has "$tmp/err" 'format c|json is required' "export without --format"
run 2 export 1 --format pdf
has "$tmp/err" "bad --format value 'pdf'" "export --format pdf"
run 2 runs --outcome maybe
has "$tmp/err" "bad --outcome value 'maybe'" "runs --outcome maybe"
run 2 runs --source cosmic
has "$tmp/err" "unknown source 'cosmic'" "runs --source cosmic"
run 2 merge ringside.db
has "$tmp/err" '-o OUT.db is required' "merge without -o"
run 2 merge missing.db -o out.db
has "$tmp/err" 'missing\.db' "merge of a missing file"

# a campaign with failures, recorded: every run's row, failures with events
run 1 sim --seeds 1..6 --device any --adversary swarm --plant lost-token \
	--steps 400 --db a.db --quiet
has "$tmp/out" '^  replay with: ringside replay a\.db [0-9]+$' \
	"campaign failures say how to replay them"
# (sed stops at the first: no head to leave a writer to SIGPIPE)
id=$(sed -nE '/^  replay with: ringside replay a\.db ([0-9]+)$/{s//\1/p;q;}' \
	"$tmp/out")
run 0 runs a.db
has "$tmp/out" '^6 runs(,|$)' "runs counts the campaign"
has "$tmp/out" '^ +1 sim +1 ' "runs lists run 1"
run 0 runs a.db --outcome fail --limit 1 --json
json_ok "$tmp/out" "runs --json"
has "$tmp/out" '"count": 1, "damaged": 0\}' "runs --limit 1 --json"
run 0 runs a.db --oracle no-such-oracle
has "$tmp/out" '^0 runs$' "runs --oracle filters"
run 0 show a.db "$id"
has "$tmp/out" "^run $id of a\.db$" "show header"
has "$tmp/out" '^outcome: FAILED oracle=token-conservation step=' "show outcome"
has "$tmp/out" "^replay with: ringside replay a\.db $id$" "show replay command"
has "$tmp/out" '^ +0 +0 world +run start: ' "show timeline starts"
has "$tmp/out" '^>> +[0-9]+ +[0-9]+ world +FAIL: ' "show marks the fail event"
has "$tmp/out" '^>> +[0-9]+ +[0-9]+ driver ' "show marks the failing step"
run 0 show a.db "$id" --json
json_ok "$tmp/out" "show --json"
run 0 replay a.db "$id"
has "$tmp/out" '^reproduced: [0-9]+ events compared one by one' "replay"
# a passing run of the campaign has no stored events
pass=$("$ringside" runs a.db --outcome pass --limit 1 | awk 'NR == 2 {print $1}')
checks=$((checks + 1))
[[ -n $pass ]] || fail "the campaign of a.db has no passing run"
run 0 show a.db "$pass"
has "$tmp/out" 'no events stored' "show of a run without events"
has "$tmp/out" "ringside replay a\.db $pass --record" "show says how"
run 0 replay a.db "$pass" --record
has "$tmp/out" 'compared by outcome, event count and hash only' \
	"replay of a run without events"
has "$tmp/out" '^recorded as run [0-9]+ \(source replay' "replay --record"
new=$(sed -nE 's/^recorded as run ([0-9]+) .*/\1/p' "$tmp/out")
run 0 show a.db "$new"
has "$tmp/out" "parent run $pass" "the recorded replay's parent"
has "$tmp/out" '^ +0 +0 world +run start: ' "the recorded replay has events"
# an event edited in the file: the divergence at exactly its seq
if python3 -c 'import sqlite3' 2>/dev/null; then
	cp a.db edited.db
	python3 - "$id" <<'PY'
import sqlite3, sys
db = sqlite3.connect("edited.db")
n = db.execute("UPDATE events SET a = a + 1 WHERE run = ? AND seq = 42",
               (int(sys.argv[1]),)).rowcount
assert n == 1
db.commit()
PY
	run 1 replay edited.db "$id"
	has "$tmp/out" '^DIVERGED at seq 42: ' "replay of an edited event"
	has "$tmp/out" '^  expected: #42 ' "divergence: expected event"
	has "$tmp/out" '^  actual: +#42 ' "divergence: actual event"
	run 1 replay edited.db "$id" --json
	json_ok "$tmp/out" "replay --json"
	has "$tmp/out" '"seq": 42,' "replay --json seq"
fi
run 0 minimise a.db "$id" --quiet
has "$tmp/out" '^choices: [0-9]+ -> [0-9]+' "minimise sizes"
has "$tmp/out" '^events: [0-9]+ -> [0-9]+$' "minimise events"
small=$(sed -nE 's/^minimised run: ([0-9]+) .*/\1/p' "$tmp/out")
checks=$((checks + 1))
[[ -n $small ]] || fail "minimise printed no run id"
run 0 replay a.db "$small"
has "$tmp/out" '^reproduced: ' "replay of the minimised run"
run 0 runs a.db --source minimise
has "$tmp/out" "^ +$small minimise .* $id\$" "the minimised run's parent"
run 2 minimise a.db "$pass"
has "$tmp/err" 'passed' "minimise of a passing run"
run 0 export a.db "$small" --format json
json_ok "$tmp/out" "export --format json"
has "$tmp/out" '"timeline": \[' "export json has the events"
run 0 export a.db "$small" --format c -o regress.c
has regress.c "^static void regress_run_$small\\(void\\)" "export c: test"
has regress.c '^ \* oracle: token-conservation' "export c: header"
has regress.c 'plants=lost-token' "export c: the configuration"
run 0 export a.db "$small" --format c --without-plants
has "$tmp/out" 'config here: .*plants=$' "export --without-plants"
# merge: runs added once, parents kept
run 1 sim --seeds 5..9 --device entropy --adversary none --plant false-break \
	--db b.db --quiet
run 0 merge a.db b.db -o m.db
has "$tmp/out" '^b\.db: 5 runs added$' "merge: per file"
has "$tmp/out" '^total: [0-9]+ runs added to m\.db$' "merge: total"
run 0 merge a.db b.db -o m.db
has "$tmp/out" '^total: 0 runs added to m\.db$' "merge twice adds nothing"
run 0 runs m.db --source minimise
has "$tmp/out" '^1 run(,|$)' "merge keeps the minimised run"

echo "test_cli: $checks checks passed"
