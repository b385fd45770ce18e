#!/usr/bin/env bash
# ringside check from the command line: help, the catalogue listing (text
# and JSON), usage and setup errors (exit 2), a clean target (exit 0), a
# failing one (exit 1, evidence), --only, --json and --junit output that
# parses.
#
# usage: cli.sh PATH/TO/ringside [PATH/TO/rng-device-plugin.so]
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside [PATH/TO/rng-device-plugin.so]" >&2
	exit 2
fi
ringside=$1
plugin=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" # the default trace file, ringside.db, goes here

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
grep -q "^ring.indirect-untouched *MUST *2\.7\.5\.3\.2 " "$tmp/out" || fail "--list: ring.indirect-untouched"
grep -q "applies: device any, legacy,1.x, feature 28 (INDIRECT_DESC) negotiated" "$tmp/out" || fail "--list: the feature an entry needs"
grep -q "^net.rx-offloads-negotiated *MUST *5\.1\.6\.4\.1 " "$tmp/out" || fail "--list: net.rx-offloads-negotiated"
run 0 check --list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["entries"]) == int(sys.argv[2]), d' "$tmp/out" "$entries" || fail "--list --json"
python3 - "$tmp/out" <<'PY' || fail "--list --json: conditions"
import json, sys
e = {x["id"]: x for x in json.load(open(sys.argv[1]))["entries"]}
assert e["ring.indirect-untouched"]["feature"] == 28, e["ring.indirect-untouched"]
assert e["ring.indirect-untouched"]["devices"] == "any"
assert e["net.rx-offloads-negotiated"]["feature"] is None
assert e["net.rx-offloads-negotiated"]["devices"] == "net"
assert e["net.rx-offloads-negotiated"]["section"] == "5.1.6.4.1"
PY
# The rules of the virtio-pci registers say so, in both listings.
python3 - "$tmp/out" <<'PY' || fail "--list --json: transport"
import json, sys
d = json.load(open(sys.argv[1]))
pci = {e["id"]: e for e in d["entries"] if e["transport"] == "pci"}
assert sorted(pci) == ["pci.isr-read-clears", "pci.msix-vectors",
                       "pci.reset-queue-enable"], sorted(pci)
assert pci["pci.isr-read-clears"]["section"] == "4.1.4.5.1"
assert pci["pci.reset-queue-enable"]["modes"] == "1.x"
assert all(e["level"] == "MUST" and e["proof"].startswith("registers:")
           for e in pci.values())
assert all(e["transport"] == "any" for e in d["entries"] if e["id"] not in pci)
PY
run 0 check --list
grep -A1 "^pci.isr-read-clears" "$tmp/out" | grep -q "applies: device any, legacy,1.x, virtio-pci only" || fail "--list: transport"

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
grep -q "^SKIP pci.isr-read-clears *a rule of the virtio-pci transport" "$tmp/out" || fail "skip reason (pci)"
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

# The evidence is a run of the trace file: the verdict names it, and
# ringside show prints the step, the values and the events up to it.
run=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r for r in d["results"] if r["verdict"] == "FAIL"][0]["evidence"]["run"])' "$tmp/out") || fail "json: no run in the evidence"
[[ -s ringside.db ]] || fail "no default trace file"
run 0 show ringside.db "$run"
grep -q "^source: check" "$tmp/out" || fail "show: source"
grep -q "^outcome: FAILED oracle=rng.bytes-delivered step=[1-9][0-9]*: FAIL: observed 0, expected 1" "$tmp/out" || fail "show: outcome"
grep -q "^reproduce with: ringside check sim:entropy,adv=len-zero:64 --seed 1 --seeds 1 --only rng.bytes-delivered" "$tmp/out" || fail "show: reproduce"
grep -q "^timeline: [1-9][0-9]* events" "$tmp/out" || fail "show: timeline"
grep -q "^>>.* device completes head .* len 0 " "$tmp/out" || fail "show: the failing step"
grep -q "^>>.*FAIL: the oracle fired" "$tmp/out" || fail "show: the fail event"
run 2 replay ringside.db "$run"
grep -q "evidence of a ringside check verdict" "$tmp/err" || fail "replay of a check run"
# A deliberately broken plug-in: the text verdict names its run too.
if [[ -n $plugin ]]; then
	run 1 check "lib:$plugin,fault=no-interrupt" --seeds 1 --db plug.db
	line=$(grep "^FAIL ring.interrupt-required" "$tmp/out") || fail "plug-in FAIL"
	prun=$(sed -n 's/.*\[run \([0-9]*\)\].*/\1/p' <<<"$line")
	[[ -n $prun ]] || fail "the FAIL names no run: $line"
	run 0 show plug.db "$prun"
	grep -q "^>>.*world *step: device" "$tmp/out" || fail "plug-in timeline"
	grep -q "no interrupt was raised" "$tmp/out" || fail "plug-in outcome"
fi
mkdir nodb && cd nodb
run 1 check sim:entropy,adv=len-zero:64 --seeds 1 --no-db
[[ ! -e ringside.db ]] || fail "--no-db"
cd "$tmp"

run 0 check sim:entropy,adv=len-zero:64 --seeds 2 --only ring.used-id-outstanding
grep -q "^SKIP rng.bytes-delivered *not selected" "$tmp/out" || fail "--only skips the rest"

echo "check cli: ok"
