#!/usr/bin/env bash
# Fails, naming the files, when a C source or header of the project is not
# formatted as .clang-format says. Checks tracked and new (not ignored)
# files in a git checkout, every file otherwise.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

dirs=(ring tests tools model replay fuzz)

clang_format=${CLANG_FORMAT:-}
if [[ -z $clang_format ]]; then
	for candidate in clang-format clang-format-14; do
		if command -v "$candidate" >/dev/null 2>&1; then
			clang_format=$candidate
			break
		fi
	done
fi
if [[ -z $clang_format ]]; then
	echo "check_format: clang-format (or clang-format-14) not found;" \
		"install the clang-format package" >&2
	exit 1
fi

existing_dirs=()
for d in "${dirs[@]}"; do
	[[ -d $d ]] && existing_dirs+=("$d")
done
if [[ ${#existing_dirs[@]} -eq 0 ]]; then
	echo "check_format: no source folders found" >&2
	exit 1
fi

files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	while IFS= read -r -d '' f; do
		# ls-files -c still lists tracked files deleted from the tree.
		[[ -f $f ]] && files+=("$f")
	done < <(git ls-files -z -co --exclude-standard -- "${existing_dirs[@]}" |
		grep -z -E '\.[ch]$' | sort -zu)
else
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find "${existing_dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) \
		-print0 | sort -z)
fi

bad=()
for f in "${files[@]}"; do
	if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
		bad+=("$f")
	fi
done

if [[ ${#bad[@]} -ne 0 ]]; then
	echo "check_format: ${#bad[@]} of ${#files[@]} files are not formatted" \
		"($("$clang_format" --version | head -n 1)):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	echo "fix with: $clang_format -i ${bad[*]}" >&2
	exit 1
fi
echo "check_format: ${#files[@]} files formatted ($clang_format)"
