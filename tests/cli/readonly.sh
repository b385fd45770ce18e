#!/usr/bin/env bash
# Read-only commands on trace files that cannot or must not be written: a
# read-only folder, a read-only file, a damaged file. They read what
# there is to read and leave no -wal or -shm file behind.
#
# usage: readonly.sh PATH/TO/ringside
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/ringside" >&2
	exit 2
fi
ringside=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	[[ -s $tmp/err ]] && head -n 5 "$tmp/err" >&2
	exit 1
}

# as_reader CMD...: runs CMD as a user the file modes apply to (root
# ignores them: it becomes nobody).
as_reader() {
	if [[ $(id -u) -eq 0 ]]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

as_owner() { "$@"; }

# reads EXPECTED DB RUNNER: runs and show of run 1, run by RUNNER
# (as_owner or as_reader), exit EXPECTED and leave no -wal or -shm.
reads() {
	local want=$1 db=$2 runner=$3 got cmd
	for cmd in "runs $db" "show $db 1" "runs --json $db"; do
		got=0
		# shellcheck disable=SC2086
		$runner "$ringside" $cmd >"$tmp/out" 2>"$tmp/err" || got=$?
		[[ $got -eq $want ]] || fail "ringside $cmd: exit $got, expected $want"
		[[ ! -e $db-wal && ! -e $db-shm ]] ||
			fail "ringside $cmd left $(ls "$db"-* | tr '\n' ' ')"
	done
}

"$ringside" sim --seed 1 --runs 20 --record all --db good.db --quiet >/dev/null
[[ ! -e good.db-wal && ! -e good.db-shm ]] || fail "sim left its -wal/-shm"
reads 0 good.db as_owner
grep -q '^20 runs' <(as_reader "$ringside" runs good.db) || fail "good.db: not 20 runs"
echo "a writable file: read, nothing left"

mkdir rofolder
cp good.db rofolder/
chmod 555 rofolder
chmod 444 rofolder/good.db
reads 0 rofolder/good.db as_reader
as_reader "$ringside" runs rofolder/good.db | grep -q '^20 runs' ||
	fail "rofolder/good.db: not 20 runs"
echo "a read-only folder: read"

cp good.db rofile.db
chmod 444 rofile.db
reads 0 rofile.db as_reader
echo "a read-only file in a writable folder: read, nothing left"

# damaged: a page in the middle overwritten
cp good.db damaged.db
size=$(stat -c %s damaged.db)
head -c 4096 /dev/zero | tr '\0' '\377' |
	dd of=damaged.db bs=4096 seek=$((size / 4096 / 2)) conv=notrunc status=none
got=0
"$ringside" show damaged.db 20 >"$tmp/out" 2>"$tmp/err" || got=$?
[[ ! -e damaged.db-wal && ! -e damaged.db-shm ]] || fail "show of a damaged file left -wal/-shm"
for cmd in runs "runs --json"; do
	got=0
	# shellcheck disable=SC2086
	"$ringside" $cmd damaged.db >"$tmp/out" 2>"$tmp/err" || got=$?
	[[ ! -e damaged.db-wal && ! -e damaged.db-shm ]] ||
		fail "ringside $cmd of a damaged file left -wal/-shm"
done
echo "a damaged file: nothing left"
echo "1 passed, 0 failed"
