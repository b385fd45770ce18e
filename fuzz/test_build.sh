#!/usr/bin/env bash
# ctest fuzz.build: runs fuzz/build.sh as OSS-Fuzz would, with clang and
# libFuzzer, into OUT (the second argument), then checks that every
# target's four files exist and that each fuzzer runs its whole seed
# corpus once (-runs=0) without a finding, and that the world target's
# burst rounds are built without instrumentation and that its one traced
# comparison is choice_chance's.
# Usage: test_build.sh CLANG OUT
set -euo pipefail

clang=$1
out=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rm -rf "$out"
mkdir -p "$out"
work=$out.work
rm -rf "$work"
mkdir -p "$work"

CC=$clang CFLAGS="-fsanitize=fuzzer-no-link,address" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=$out WORK=$work \
	"$root/fuzz/build.sh" >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"
	echo "FAIL: fuzz/build.sh failed"
	exit 1
}

status=0
for t in ring bus world trace shim; do
	for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
		if [[ ! -s $out/$f ]]; then
			echo "FAIL: $out/$f missing or empty"
			status=1
		fi
	done
	[[ -x $out/$t ]] || {
		echo "FAIL: $out/$t is not executable"
		status=1
		continue
	}
	seeds=$work/seeds-$t
	mkdir -p "$seeds"
	python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
		"$out/${t}_seed_corpus.zip" "$seeds"
	n=$(find "$seeds" -type f | wc -l)
	want=$(find "$root/corpus/$t" -maxdepth 1 -type f | wc -l)
	if [[ $n -ne $want || $n -eq 0 ]]; then
		echo "FAIL: $t: the seed zip holds $n files, corpus/$t $want"
		status=1
	fi
	if ! (cd "$out" && "./$t" -runs=0 -dict="$t.dict" "$seeds") \
		>"$work/run-$t.log" 2>&1; then
		tail -20 "$work/run-$t.log"
		echo "FAIL: $t did not run its seed corpus cleanly"
		status=1
	elif ! grep -q 'INITED\|DONE' "$work/run-$t.log"; then
		echo "FAIL: $t: no libFuzzer run in the log"
		status=1
	else
		echo "ok: $t ran its $n seeds"
	fi
done
# The world target runs the leading rounds of an index-wrap burst through
# an uninstrumented copy of the ring (fuzz/CMakeLists.txt): the copy is
# linked, and calls no sanitizer or coverage hook.
burst=$(objdump -d --no-show-raw-insn "$out/world" |
	awk '/<burst_rounds_fast>:/,/^$/')
if [[ -z $burst ]]; then
	echo "FAIL: world: burst_rounds_fast is not linked"
	status=1
elif grep -q '__asan\|__ubsan\|__sanitizer_cov' <<<"$burst"; then
	echo "FAIL: world: burst_rounds_fast is instrumented"
	status=1
else
	echo "ok: world: the burst rounds are not instrumented"
fi
# The world target traces one comparison (fuzz/CMakeLists.txt,
# RINGSIDE_FUZZ_TRACE_CMP=chances): a drawn value against the value that
# turns a chance, in choice_chance. The world's other functions (model/
# and ring/; fuzz_common.c belongs to the other targets) call no
# comparison hook.
traced=$(objdump -d --no-show-raw-insn "$out/world" |
	awk '/^[0-9a-f]+ <[^>]*>:$/ { fn = $2 }
	     /call.*<__sanitizer_cov_trace_(const_)?(cmp|switch|div|gep)/ { print fn }' |
	sort -u | tr -d '<>:' | grep -v '^fuzz_\|^LLVMFuzzerTestOneInput$' || true)
if [[ $traced != choice_chance ]]; then
	echo "FAIL: world: comparison hooks in:" $traced "(want choice_chance only)"
	status=1
else
	echo "ok: world: the one traced comparison is choice_chance's"
fi
exit $status
