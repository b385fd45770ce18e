#!/usr/bin/env bash
# The plants do not rot: every patch of tests/plants/ names its plant,
# class and bug, and applies cleanly (no fuzz, no offset beyond git's
# context match) to a scratch copy of the current ring sources, where it
# changes the code. Usage: check_apply.sh SOURCE_DIR
set -euo pipefail

src=${1:?usage: check_apply.sh SOURCE_DIR}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ringside-plants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

shopt -s nullglob
patches=("$src"/tests/plants/*.patch)
if [[ ${#patches[@]} -lt 25 ]]; then
	echo "FAIL: ${#patches[@]} plants, the benchmark needs at least 25" >&2
	exit 1
fi

status=0
declare -A seen=()
for patch in "${patches[@]}"; do
	file=${patch##*/}
	name=$(sed -n 's/^plant: //p' "$patch")
	class=$(sed -n 's/^class: //p' "$patch")
	bug=$(sed -n 's/^bug: //p' "$patch")
	if [[ -z $name || -z $class || -z $bug ]]; then
		echo "FAIL $file: no plant:, class: or bug: line" >&2
		status=1
		continue
	fi
	if [[ $file != [0-9][0-9]-"$name".patch ]]; then
		echo "FAIL $file: the file is not NN-$name.patch" >&2
		status=1
	fi
	if [[ -n ${seen[$name]:-} ]]; then
		echo "FAIL $file: plant $name twice" >&2
		status=1
	fi
	seen[$name]=1
	rm -rf "$scratch/ring"
	cp -r "$src/ring" "$scratch/ring"
	if ! (cd "$scratch" && GIT_CEILING_DIRECTORIES=$scratch git apply "$patch" \
		2>"$scratch/err"); then
		echo "FAIL $file: does not apply to the current source:" >&2
		cat "$scratch/err" >&2
		status=1
		continue
	fi
	if diff -rq "$src/ring" "$scratch/ring" >/dev/null; then
		echo "FAIL $file: applies but changes nothing" >&2
		status=1
		continue
	fi
	echo "ok $file ($class)"
done
echo "${#patches[@]} plants checked"
exit "$status"
