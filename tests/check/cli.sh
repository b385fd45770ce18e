#!/usr/bin/env bash
# ringside check from the command line: help, the catalogue listing (text
# and JSON), usage and setup errors (exit 2), a clean target (exit 0), a
# failing one (exit 1, evidence), --only, --json and --junit output that
# parses.
#
# usage: cli.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	head -n 30 "$tmp/out" "$tmp/err" >&2 || true
	exit 1
}

run() {
	local want=$1 got=0
	shift
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	[[ $got -eq $want ]] || fail "ringside $*: exit $got, expected $want"
}

run 0 check --help
grep -q "Exit status: 0 no FAIL, 1 a requirement FAILed, 2 usage" "$tmp/out" || fail "help: exit codes"
grep -q "lib:PATH" "$tmp/out" || fail "help: targets"

run 0 check --list
entries=$(grep -c "^[a-z]*\.[a-z-]* *\(MUST\|SHOULD\)" "$tmp/out")
[[ $entries -ge 15 ]] || fail "--list: $entries entries"
run 0 check --list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["entries"]) == int(sys.argv[2]), d' "$tmp/out" "$entries" || fail "--list --json"

run 2 check
grep -q "no target given" "$tmp/err" || fail "no target"
run 2 check floppy
grep -q "has no kind" "$tmp/err" || fail "no kind"
run 2 check sim:floppy
grep -q "unknown device 'floppy'" "$tmp/err" || fail "unknown device"
run 2 check lib:/nonexistent.so
grep -q "cannot load" "$tmp/err" || fail "missing plug-in"
run 2 check sim:block --only no.such-thing
grep -q "no requirement 'no.such-thing'" "$tmp/err" || fail "--only"
run 2 check sim:block --seeds 0
run 2 check sim:block --frobnicate

run 0 check sim:entropy --seeds 2 --junit "$tmp/clean.xml"
grep -q "^PASS ring.used-id-outstanding" "$tmp/out" || fail "clean run"
grep -q "^SKIP blk.data-readback *not a device of this type" "$tmp/out" || fail "skip reason"
python3 -c 'import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); s=r.find("testsuite"); assert s.get("failures") == "0"; assert len(s.findall("testcase")) >= 15' "$tmp/clean.xml" || fail "junit (clean)"

run 1 check sim:entropy,adv=len-zero:64 --seeds 2 --json --junit "$tmp/fail.xml"
python3 - "$tmp/out" <<'PY' || fail "json report"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [r for r in d["results"] if r["verdict"] == "FAIL"]
assert [r["id"] for r in bad] == ["rng.bytes-delivered"], bad
ev = bad[0]["evidence"]
assert ev["seed"] == 1 and "len 0" in ev["text"], ev
assert d["fail"] == 1
PY
python3 -c 'import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); f=[c.get("name") for c in r.iter("testcase") if c.find("failure") is not None]; assert f == ["rng.bytes-delivered"], f' "$tmp/fail.xml" || fail "junit (failing)"

run 0 check sim:entropy,adv=len-zero:64 --seeds 2 --only ring.used-id-outstanding
grep -q "^SKIP rng.bytes-delivered *not selected" "$tmp/out" || fail "--only skips the rest"

echo "check cli: ok"
