#!/usr/bin/env bash
# Registered in place of a test that needs clang (the fuzz tests, the
# determinism check's clang build) when the configure step found none:
# says so and fails, so that a suite without those tests never passes
# unnoticed.
# Usage: missing_clang.sh TEST
echo "FAIL: $1 cannot run: no clang (clang or clang-14) was found when" \
	"the build was configured. Install clang-14, libclang-rt-14-dev and" \
	"afl++ (tools/lib/deps.sh lists them), then configure again."
exit 1
