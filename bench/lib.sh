# Shared by the bench/ scripts (sourced): a temporary folder and the
# processes to stop when the script ends, and wrk when a script needs it.

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM HUP PIPE

# need_wrk installs wrk from Debian when it is missing.
need_wrk() {
	if ! command -v wrk >/dev/null 2>&1; then
		echo "installing wrk" >&2
		apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
	fi
}
