#!/usr/bin/env bash
# The consumer test: installs a built ringside into a temporary prefix, then
# configures, builds and runs the standalone project in this folder against
# it, as a third party would.
#
# With the ringside program as a fourth argument it also checks the device
# model built here (rng_device.c) with `ringside check lib:`: honest, it
# passes; with a fault switched on, the check fails.
#
# usage: run.sh <ringside build dir> [cmake] [C compiler] [ringside]
set -euo pipefail

if [[ $# -lt 1 || $1 == --help || $1 == -h ]]; then
	echo "usage: $0 <ringside build dir> [cmake] [C compiler] [ringside]" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=$1
cmake_cmd=${2:-cmake}
cc=${3:-${CC:-}}
ringside=${4:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringside-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$cmake_cmd" --install "$build_dir" --prefix "$tmp/prefix"

configure=(-S "$here" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix")
if [[ -n $cc ]]; then
	configure+=(-DCMAKE_C_COMPILER="$cc")
fi
"$cmake_cmd" "${configure[@]}"
"$cmake_cmd" --build "$tmp/build"

output=$("$tmp/build/consumer")
echo "$output"
if [[ $output != *"consumer ok"* ]]; then
	echo "run.sh: consumer did not report success" >&2
	exit 1
fi

if [[ -n $ringside ]]; then
	plugin=$tmp/build/librng_device.so
	"$ringside" check "lib:$plugin" --seeds 2 --quiet
	set +e
	"$ringside" check "lib:$plugin,fault=len-unwritten" --seeds 2 --quiet \
		--only ring.used-len-written >"$tmp/faulty.txt"
	status=$?
	set -e
	cat "$tmp/faulty.txt"
	if [[ $status -ne 1 ]] || ! grep -q "^FAIL ring.used-len-written" "$tmp/faulty.txt"; then
		echo "run.sh: the faulty device model was not reported (exit $status)" >&2
		exit 1
	fi
	echo "device model checked"
fi
