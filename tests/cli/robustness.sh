#!/usr/bin/env bash
# ringside check --robustness end to end (and its alias ringside
# robustness): help and exit statuses, the catalogue
# (text and JSON), a sim: target in text, JSON and JUnit (exit 0: nothing
# FAIL or WEDGED), the same report for the same seed, usage errors (exit
# 2), and, when QEMU is installed, one case against QEMU's entropy device.
#
# With the example plug-in (tests/consumer/rng_device.c), the lib: target:
# the honest device gives REJECT and SKIP only, the same report for the
# same seed; with fault=crash, the cases that crash it are FAIL (exit 1)
# and every other case still has its line. A QEMU FAIL, when QEMU gives
# one (7.2's net on net.short-header), is recorded with the timeline of
# what the front end wrote.
#
# usage: robustness.sh PATH/TO/ringside PATH/TO/librng_device.so
set -euo pipefail

if [[ $# -ne 2 || ! -x $1 || ! -f $2 ]]; then
	echo "usage: $0 PATH/TO/ringside PATH/TO/librng_device.so" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
plugin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

checks=0
fail() {
	echo "FAIL: $*" >&2
	head -n 40 "$tmp/out" "$tmp/err" >&2 || true
	exit 1
}
run() {
	local want=$1 got=0
	shift
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	checks=$((checks + 1))
	[[ $got -eq $want ]] || fail "ringside $*: exit $got, expected $want"
}
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || fail "$3: no line matches '$2'"
}

run 0 check --robustness --help
has out '^Exit status: 0 no FAIL or WEDGED' "help names the exit statuses"
run 0 check --help
has out '--robustness' "check's help names --robustness"
run 0 help robustness
has out 'ringside check --robustness TARGET' "the alias's help"
run 0 robustness sim:entropy --only desc.loop
has out '^REJECT +desc\.loop ' "the alias runs the suite"
run 0 check sim:entropy --json --only desc.loop --robustness
has out '^\{"target":"sim:entropy",' "--robustness anywhere on the line"
run 0 check --robustness --list
has out '^desc\.loop +2\.7\.5\.2 ' "the catalogue lists desc.loop"
has out '^[0-9]+ cases$' "the catalogue counts its cases"
run 0 check --robustness --list --json
has out '"id":"indirect.nested"' "the JSON catalogue"

run 0 check --robustness sim:block --junit j.xml
has out '^REJECT +desc\.loop ' "a verdict line per case"
has out '^29 cases: [0-9]+ reject, 0 fail, 0 wedged' "the summary"
has j.xml '<testsuite name="robustness sim:block" tests="29" failures="0"' \
	"the JUnit suite"
has j.xml '<testcase classname="robustness.sim:block" name="desc.loop">' \
	"a JUnit test case"
[[ ! -e ringside.db ]] || fail "a sim: target records nothing"
run 0 check --robustness sim:entropy,legacy --json --seed 5 --only desc.loop,addr.wraps
has out '^\{"target":"sim:entropy,legacy","seed":5,' "the JSON report"
has out '"counts":\{"reject":2,"fail":0,"wedged":0,"skip":0\}' "JSON counts"
sed 's/"seconds":[0-9.]*,//' out >a.json
run 0 check --robustness sim:entropy,legacy --json --seed 5 --only desc.loop,addr.wraps
sed 's/"seconds":[0-9.]*,//' out >b.json
checks=$((checks + 1))
cmp -s a.json b.json || fail "the same seed gives the same report"

run 2 check --robustness
has err 'no target' "a missing target"
run 2 check --robustness sim:toaster
has err 'no simulated device "toaster"' "an unknown device"
run 2 check --robustness sim:block --only no.such-case
has err 'no case "no.such-case"' "an unknown case"
run 2 check --robustness sim:block --bogus
has err 'unknown option' "an unknown option"
run 2 check --robustness vhost:x
has err 'unknown target' "an unknown target kind"

run 0 check --robustness "lib:$plugin" --junit lib.xml
has out '^29 cases: [0-9]+ reject, 0 fail, 0 wedged, [0-9]+ skip' \
	"the honest plug-in: nothing FAIL or WEDGED"
has out '^REJECT +desc\.loop ' "the plug-in refuses a descriptor loop"
has out '^SKIP +block\.no-header +[0-9.]+ +not a request of this device' \
	"a block case SKIPs on an entropy plug-in"
checks=$((checks + 1))
! grep -Eq '^(FAIL|WEDGED) ' out || fail "the honest plug-in: a FAIL"
has lib.xml 'tests="29" failures="0" errors="0"' "the plug-in's JUnit"
run 0 check --robustness "lib:$plugin" --json --seed 4
sed 's/"seconds":[0-9.]*,//' out >a.json
run 0 check --robustness "lib:$plugin" --json --seed 4
sed 's/"seconds":[0-9.]*,//' out >b.json
checks=$((checks + 1))
cmp -s a.json b.json || fail "a plug-in: the same seed gives the same report"
run 1 check --robustness "lib:$plugin,fault=crash"
has out '^FAIL +avail\.idx-jump .*crashed: killed by signal 6' \
	"a crash inside the plug-in is that case's FAIL"
has out '^REJECT +desc\.loop ' "the cases before the crash are reported"
has out '^REJECT +lifecycle\.features-ok-skipped ' \
	"the cases after the crash are reported"
has out '^29 cases: [0-9]+ reject, [1-9][0-9]* fail, 0 wedged' \
	"the summary counts the crash"
has out '^ +evidence: run [0-9]+ of the trace file' "a FAIL names its run"
rrun=$(sed -n '/^ *evidence: run \([0-9]*\) .*/{s//\1/p;q;}' out)
run 0 show ringside.db "$rrun"
has out '^source: check$' "the run of a plug-in's FAIL"
has out '^device: lib:[^ ]+ \(1\.x\)$' "a plug-in is a 1.x device"
has out '^outcome: FAILED oracle=robustness-fail step=0: avail\.idx-jump: .*crashed' \
	"ringside show prints the FAIL's evidence"
has out '^reproduce with: ringside check --robustness lib:.*,fault=crash --only avail\.idx-jump --seed 1$' \
	"ringside show names the command that reproduces it"
run 2 check --robustness lib:./no-such-plugin.so
has err 'lib: cannot load' "a plug-in that cannot be loaded"

if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	run 0 robustness qemu:entropy,modern --only desc.loop --no-db
	has out '^REJECT +desc\.loop ' "QEMU refuses a descriptor loop"
	# QEMU 7.2's virtio-net aborts on a transmit buffer shorter than
	# its header: the recorded FAIL holds what the front end did.
	got=0
	"$ringside" robustness qemu:net,modern --only net.short-header \
		--db q.db >"$tmp/out" 2>"$tmp/err" || got=$?
	if [[ $got -eq 1 ]]; then
		rrun=$(sed -n 's/^ *evidence: run \([0-9]*\) .*/\1/p' out)
		run 0 show q.db "$rrun"
		has out '^source: qemu$' "a QEMU FAIL is a run of source qemu"
		has out '^device: qemu:net \(1\.x\)$' "its device and mode"
		has out '^timeline: [0-9]+ events' "it has a timeline"
		has out 'front +desc 0: addr 0x[0-9a-f]+ len 4 next 0 +1$' \
			"the 4-byte transmit buffer is in it"
		has out 'front +notify queue 1 +1$' "and the notify"
		has out 'front +verdict FAIL' "and the verdict"
	else
		echo "robustness.sh: QEMU's net took net.short-header" \
			"(exit $got): no FAIL timeline to check" >&2
	fi
fi

echo "robustness.sh: $checks checks passed"
