#!/usr/bin/env bash
# Tests of the ringside command-line program (tools/ringside.c,
# tools/cli_*.c): help, usage errors and their exit status, the catalogue,
# single runs and campaigns (determinism, summaries, JSON), and that the
# printed "reproduce with:" command repeats the failing run.
#
# usage: test_cli.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
# every command listed has its own --help and help COMMAND
"$ringside" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands/ {print $1}' >"$tmp/commands"
[[ -s $tmp/commands ]] || fail "ringside --help lists no commands"
while read -r cmd; do
	run 0 "$cmd" --help
	has "$tmp/out" "^usage: ringside $cmd" "ringside $cmd --help"
	run 0 help "$cmd"
	has "$tmp/out" "^usage: ringside $cmd" "ringside help $cmd"
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
[[ $n -eq 24 ]] || fail "--list-adversaries lists $n behaviours, not 24"
for i in $(seq 0 23); do
	has "$tmp/out" "^ ?$i [a-z]" "--list-adversaries has number $i"
done
for name in out-of-order used-id-range rewrite-avail hot-unplug alloc-fail; do
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

echo "test_cli: $checks checks passed"
