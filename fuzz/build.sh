#!/usr/bin/env bash
# OSS-Fuzz / ClusterFuzz(Lite) build script: builds every fuzz target of
# fuzz/ with the caller's compiler and flags and puts, next to each other
# in $OUT:
#   <target>                  the fuzzer (ring, bus, world, trace, shim)
#   <target>_seed_corpus.zip  corpus/<target>/
#   <target>.dict             corpus/<target>.dict
#   <target>.options          fuzz/<target>.options (libFuzzer options)
# Honours $CC, $CFLAGS (sanitizers and -fsanitize=fuzzer-no-link come from
# here), $LIB_FUZZING_ENGINE (how to link the engine) and $OUT; $SRC and
# $WORK as OSS-Fuzz sets them (the build tree goes to $WORK/ringside-fuzz,
# a temporary folder without $WORK). Locally, with libFuzzer:
#   CC=clang CFLAGS="-fsanitize=fuzzer-no-link,address" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
set -euo pipefail
# --help prints the comment above.
case ${1:-} in
-h | --help)
	sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
	exit 0
	;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CC:?set CC (e.g. clang)}"
: "${OUT:?set OUT (the output folder)}"
: "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer)}"
CFLAGS=${CFLAGS:-}
if [[ -n ${WORK:-} ]]; then
	build=$WORK/ringside-fuzz
else
	build=$(mktemp -d)
	trap 'rm -rf "$build"' EXIT
fi
targets=(ring bus world trace shim)

mkdir -p "$OUT"
cmake -S "$root/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
	-DRINGSIDE_FUZZ=external -DRINGSIDE_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
	--target "${targets[@]/#/fuzz_}"

for t in "${targets[@]}"; do
	cp "$build/fuzz_$t" "$OUT/$t"
	cp "$root/corpus/$t.dict" "$OUT/$t.dict"
	cp "$root/fuzz/$t.options" "$OUT/$t.options"
	rm -f "$OUT/${t}_seed_corpus.zip"
	# zip may be missing: python3's zipfile writes the same archive.
	python3 - "$root/corpus/$t" "$OUT/${t}_seed_corpus.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path):
            z.write(path, name)
PY
done
