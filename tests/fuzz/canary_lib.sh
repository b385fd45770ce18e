#!/usr/bin/env bash
# canary_lib.sh - what the fuzz canaries (canary.sh, canary_ring.sh)
# share: sourced, not run.

# planted_fuzz_setup NAME RINGSIDE TARGET PLANT BUILD_PREFIX WORK MIN
#   Builds the fuzz binaries of TARGET with planted bug PLANT for both
#   engines (ringside fuzz builds them on its first --reproduce) into
#   WORK/BUILD_PREFIX-ENGINE, and copies into WORK/seeds the seeds of
#   corpus/TARGET that the planted ring runs clean, so that a campaign
#   starts without the bug. Exits 1 when a build fails or fewer than MIN
#   seeds are clean. Uses $root (the source tree).
planted_fuzz_setup() {
	local name=$1 R=$2 target=$3 plant=$4 prefix=$5 work=$6 min=$7
	local corpus=${root:?}/corpus/$target engine rc f n first_seed
	local seeds=$work/seeds all

	# A glob, sorted, rather than find | sort | head: head leaves early
	# and sort, killed by SIGPIPE on its second write (past 4 KiB of
	# names), failed the pipeline and so this script (pipefail).
	all=("$corpus"/*)
	first_seed=${all[0]}
	for engine in libfuzzer afl; do
		rc=0
		"$R" fuzz --reproduce "$first_seed" --target "$target" \
			--engine $engine --plant "$plant" \
			--build-dir "$work/$prefix-$engine" \
			>"$work/build-$engine.log" 2>&1 || rc=$?
		if [[ $rc -eq 2 ]]; then
			tail -30 "$work/build-$engine.log"
			echo "FAIL: building the planted $engine $target fuzz" \
				"binaries"
			exit 1
		fi
	done
	rm -rf "$seeds"
	mkdir -p "$seeds"
	# (the loop's stderr too: bash reports every aborted run there)
	for f in "$corpus"/*; do
		if "$work/$prefix-libfuzzer/fuzz_regress_$target" "$f" \
			>/dev/null 2>&1; then
			cp "$f" "$seeds/"
		fi
	done 2>/dev/null
	n=$(find "$seeds" -type f | wc -l)
	echo "$name: $n of $(find "$corpus" -type f | wc -l) $target" \
		"seeds run clean on the planted ring"
	if [[ $n -lt $min ]]; then
		echo "FAIL: fewer than $min clean seeds"
		exit 1
	fi
}
