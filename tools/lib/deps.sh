# shellcheck shell=bash
# Sourced by tools/test and tools/run: makes sure the build dependencies are
# installed. Later issues add their Debian packages and commands to the two
# lists below.

RINGSIDE_DEB_PACKAGES=(build-essential cmake clang-format git
	libsqlite3-dev sqlite3
	clang-14 libclang-rt-14-dev llvm-14 lld-14 afl++ gcovr python3 valgrind
	qemu-system-x86 qemu-utils qemu-system-common
	dpdk dpdk-dev librte-net-vhost23 librte-mempool-ring23)
RINGSIDE_COMMANDS=(cmake make gcc clang-format git sqlite3
	clang-14 llvm-cov-14 llvm-profdata-14 afl-clang-fast afl-fuzz python3 valgrind
	qemu-system-x86_64 qemu-storage-daemon dpdk-testpmd)

ringside_apt_updated=0

# True when the command (or, for clang-format, its versioned name) exists.
ringside_have_command() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[[ $1 == clang-format ]] && command -v clang-format-14 >/dev/null 2>&1
}

ringside_deb_installed() {
	dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

ringside_install_packages() {
	if [[ $(id -u) -eq 0 ]]; then
		if [[ $ringside_apt_updated -eq 0 ]]; then
			apt-get update
			ringside_apt_updated=1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "$@"
	else
		echo "missing packages: $*; install them with:" >&2
		echo "sudo apt-get install -y --no-install-recommends $*" >&2
		exit 1
	fi
}

# Installs (as root) or names (otherwise, then exits 1) whatever is missing.
ringside_ensure_deps() {
	local pkg cmd
	local missing_pkgs=() missing_cmds=()

	if command -v dpkg >/dev/null 2>&1; then
		for pkg in "${RINGSIDE_DEB_PACKAGES[@]}"; do
			ringside_deb_installed "$pkg" || missing_pkgs+=("$pkg")
		done
		if [[ ${#missing_pkgs[@]} -ne 0 ]]; then
			ringside_install_packages "${missing_pkgs[@]}"
		fi
	fi

	for cmd in "${RINGSIDE_COMMANDS[@]}"; do
		ringside_have_command "$cmd" || missing_cmds+=("$cmd")
	done
	if [[ ${#missing_cmds[@]} -ne 0 ]]; then
		echo "missing commands: ${missing_cmds[*]}" >&2
		if ! command -v dpkg >/dev/null 2>&1; then
			echo "(not a Debian-based system: install them with" \
				"your package manager)" >&2
		fi
		exit 1
	fi
}
