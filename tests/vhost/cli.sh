#!/usr/bin/env bash
# ringside check and ringside check --robustness against a vhost-user
# back end we start (vhost-user-exec:block, qemu-storage-daemon), end to
# end: the verdicts written down in model/vhost/README.md, the target
# syntax errors, and the exit paths: SIGTERM and SIGINT in the middle of
# a run, and SIGKILL, leave no back-end process and no file (the back
# end's directory lives in a TMPDIR of this test, so every file is seen).
# qemu-storage-daemon is required (tools/lib/deps.sh installs it).
#
# usage: cli.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$1
tmp=$(mktemp -d /tmp/rs-vhost-cli-XXXXXX)
export TMPDIR=$tmp/t
mkdir "$TMPDIR"
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	cat "$tmp/out" "$tmp/err" >&2 || true
	exit 1
}

command -v qemu-storage-daemon >/dev/null ||
	fail "qemu-storage-daemon is missing: apt-get install -y qemu-system-common"

# --- the conformance catalogue ---------------------------------------------
status=0
"$ringside" check vhost-user-exec:block --no-db --json >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 1 ]] || fail "check vhost-user-exec:block: exit $status, expected 1"
python3 - "$tmp/out" <<'PY' || fail "check report"
import json, sys
d = json.load(open(sys.argv[1]))
v = {r["id"]: r for r in d["results"]}
assert d["device_id"] == 2 and d["cases"] == 4, (d["device_id"], d["cases"])
bad = [i for i, r in v.items() if r["verdict"] in ("FAIL", "WARN")]
assert bad == ["blk.data-readback"], bad
assert "GET_ID" in v["blk.data-readback"]["evidence"]["text"], v["blk.data-readback"]
for i in ("ring.used-id-outstanding", "ring.used-idx-forward",
          "ring.used-len-bounded", "ring.used-len-written",
          "ring.readable-untouched", "ring.desc-untouched",
          "ring.avail-untouched", "ring.used-flags",
          "dev.features-reserved", "dev.survives"):
    assert v[i]["verdict"] == "PASS", (i, v[i])
assert "own threads" in v["ring.interrupt-required"]["why"]
assert "no device status" in v["dev.reset-status-zero"]["why"]
assert "SET_VRING_NUM" in v["dev.queue-size"]["why"]
for i in ("pci.isr-read-clears", "pci.reset-queue-enable", "pci.msix-vectors"):
    assert v[i]["verdict"] == "SKIP" and "virtio-pci" in v[i]["why"], v[i]
PY

# --- the robustness suite ----------------------------------------------------
status=0
"$ringside" check --robustness vhost-user-exec:block --no-db --json >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 0 ]] || fail "robustness vhost-user-exec:block: exit $status"
python3 - "$tmp/out" <<'PY' || fail "robustness report"
import json, sys
d = json.load(open(sys.argv[1]))
c = {r["id"]: r for r in d["cases"]}
assert d["counts"]["fail"] == 0 and d["counts"]["wedged"] == 0, d["counts"]
assert c["desc.loop"]["verdict"] == "REJECT", c["desc.loop"]
assert c["desc.loop"]["needs_reset"], c["desc.loop"]
assert c["block.sector-wraps"]["verdict"] == "REJECT"
assert c["notify.absent-queue"]["verdict"] == "SKIP"
assert "kick eventfd" in c["notify.absent-queue"]["detail"]
assert c["lifecycle.features-ok-skipped"]["verdict"] == "SKIP"
assert c["lifecycle.after-reset"]["verdict"] == "REJECT"
PY
[[ -z $(ls -A "$TMPDIR") ]] || fail "files left in TMPDIR: $(ls -A "$TMPDIR")"

# --- target syntax -------------------------------------------------------------
status=0
"$ringside" check vhost-user:block >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 2 ]] && grep -q "no socket" "$tmp/err" || fail "vhost-user without a socket"
status=0
"$ringside" check vhost-user-exec:floppy >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 2 ]] && grep -q "unknown device 'floppy'" "$tmp/err" || fail "unknown device"
status=0
"$ringside" check vhost-user:block:"$tmp/none.sock" >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 2 ]] && grep -q "cannot connect" "$tmp/err" || fail "a socket that is not there"
status=0
"$ringside" check --robustness vhost-user:net >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 2 ]] && grep -q "no socket" "$tmp/err" || fail "robustness: no socket"

# --- exit paths ------------------------------------------------------------------
# The back end (a child of ringside) must be gone and TMPDIR empty after
# ringside dies of the signal.
signalled() {
	local sig=$1 code=$2 pid backend i
	shift 2
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	backend=
	for i in $(seq 1 500); do
		backend=$(pgrep -P "$pid" qemu-storage || true)
		[[ -n $backend ]] && break
		sleep 0.02
	done
	[[ -n $backend ]] || fail "$*: no back end started"
	sleep 0.2
	kill "-$sig" "$pid"
	status=0
	wait "$pid" || status=$?
	[[ $status -eq $code ]] || fail "$* on SIG$sig: exit $status, expected $code"
	grep -q "interrupted by signal" "$tmp/err" || fail "$*: no message on SIG$sig"
	! kill -0 "$backend" 2>/dev/null || fail "$*: back end $backend left running"
	[[ -z $(ls -A "$TMPDIR") ]] || fail "$*: files left: $(ls -A "$TMPDIR")"
}
# SIGKILL: the back end dies with ringside (parent-death signal) and the
# janitor removes its directory once it is gone.
killed() {
	local pid backend i
	"$ringside" "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	backend=
	for i in $(seq 1 500); do
		backend=$(pgrep -P "$pid" qemu-storage || true)
		[[ -n $backend ]] && break
		sleep 0.02
	done
	[[ -n $backend ]] || fail "$*: no back end started"
	kill -KILL "$pid"
	wait "$pid" || true
	for i in $(seq 1 250); do
		! kill -0 "$backend" 2>/dev/null && [[ -z $(ls -A "$TMPDIR") ]] && return 0
		sleep 0.02
	done
	fail "$* on SIGKILL: back end or files left: $(ls -A "$TMPDIR")"
}
killed check vhost-user-exec:block --seeds 500 --no-db
killed check --robustness vhost-user-exec:block --no-db
signalled TERM 143 check vhost-user-exec:block --seeds 500 --no-db
signalled INT 130 check vhost-user-exec:block --seeds 500 --no-db
signalled TERM 143 check --robustness vhost-user-exec:block --no-db
signalled INT 130 check --robustness vhost-user-exec:block --no-db
echo "vhost cli: ok"
