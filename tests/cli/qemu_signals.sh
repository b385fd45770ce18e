#!/usr/bin/env bash
# ringside qemu on every exit path: SIGINT and SIGTERM print the cells
# done so far and exit 130/143, SIGKILL leaves nothing either (the guest
# RAM is a memfd, a janitor removes the directory); a missing QEMU is a
# setup error (exit 2); bad list values name the valid ones; --json is
# one object. Also: every command's --help documents its exit status,
# and ringside --version.
#
# usage: qemu_signals.sh PATH/TO/ringside
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
	[[ -s $tmp/out ]] && tail -n 5 "$tmp/out" >&2
	[[ -s $tmp/err ]] && head -n 5 "$tmp/err" >&2
	exit 1
}

# --- help and version (no QEMU needed) -----------------------------------
"$ringside" --version >out || fail "--version exited $?"
grep -Eq '^ringside [0-9]+\.[0-9]+' out || fail "--version: $(cat out)"
"$ringside" --help >out
grep -q 'trace file error' out || fail "ringside --help does not name trace errors"
grep -q '130' out || fail "ringside --help does not name 130"
for cmd in $("$ringside" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands/ {print $1}'); do
	"$ringside" "$cmd" --help >out
	grep -q 'Exit status' out || fail "ringside $cmd --help has no exit status"
done
echo "help: exit status documented, --version"

# --- without QEMU on PATH: a setup error --------------------------------
got=0
PATH=/nonexistent "$ringside" qemu --no-db >out 2>err || got=$?
[[ $got -eq 2 ]] || fail "qemu without QEMU: exit $got, expected 2"
grep -q 'QEMU is not installed' err || fail "qemu without QEMU: no message"
got=0
"$ringside" qemu --device floppy >out 2>err || got=$?
[[ $got -eq 2 ]] || fail "--device floppy: exit $got"
grep -q 'entropy,block,console,net' err || fail "--device floppy: no valid values listed"
echo "setup and usage errors: exit 2, valid values named"

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "qemu-system-x86_64 missing: install it (tools/lib/deps.sh)" >&2
	exit 1
fi

# --json: one object with the cells inside
"$ringside" qemu --no-db --device entropy --mode modern --json >out 2>err ||
	fail "qemu --json exited $?"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["cells"]) == 2 and d["total"] == 2, d' <out ||
	fail "qemu --json is not one object with 2 cells"
echo "--json: one object"

# no_leftovers PID: no directory, no /dev/shm file, no QEMU of PID
no_leftovers() {
	local pid=$1 i
	for ((i = 0; i < 50; i++)); do
		compgen -G "/tmp/ringside-qemu-$pid-*" >/dev/null || break
		sleep 0.1
	done
	! compgen -G "/tmp/ringside-qemu-$pid-*" >/dev/null ||
		fail "a directory of $pid is left: $(ls -d /tmp/ringside-qemu-"$pid"-*)"
	! compgen -G "/dev/shm/ringside-$pid-*" >/dev/null ||
		fail "a /dev/shm file of $pid is left"
	for q in $children; do
		for ((i = 0; i < 50; i++)); do
			[[ -e /proc/$q ]] && ! grep -q '^State:.*Z' "/proc/$q/status" 2>/dev/null || break
			sleep 0.1
		done
		if [[ -e /proc/$q ]] && ! grep -q '^State:.*Z' "/proc/$q/status" 2>/dev/null; then
			fail "child $q of $pid is still running"
		fi
	done
}

# start_matrix: the whole matrix in the background, until its first cell
start_matrix() {
	"$ringside" qemu --no-db >out 2>err &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[[ $(grep -c -E ' (pass|FAIL) ' out || true) -ge 1 ]] && break
		sleep 0.1
	done
	children=$(ps -o pid= --ppid "$pid" || true)
	compgen -G "/tmp/ringside-qemu-$pid-*" >/dev/null ||
		fail "no directory of $pid while it runs"
}

for sig in INT TERM; do
	start_matrix
	kill -"$sig" "$pid"
	got=0
	wait "$pid" || got=$?
	[[ $sig == INT ]] && want=130 || want=143
	[[ $got -eq $want ]] || fail "SIG$sig: exit $got, expected $want"
	grep -Eq '^[0-9]+ cells, [0-9]+ failed, .*interrupted' out ||
		fail "SIG$sig: no summary of the cells done"
	[[ $(grep -c -E ' pass ' out) -ge 1 ]] || fail "SIG$sig: no cell printed"
	no_leftovers "$pid"
	echo "SIG$sig: exit $got, $(grep -c -E ' pass ' out) cells printed, nothing left"
done

start_matrix
kill -KILL "$pid"
wait "$pid" || true
no_leftovers "$pid"
echo "SIGKILL: nothing left"
echo "1 passed, 0 failed"
