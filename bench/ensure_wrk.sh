#!/bin/sh
# Make sure the load generator `wrk` is on PATH (Debian/Ubuntu: apt-get install wrk).
if command -v wrk >/dev/null 2>&1; then
	exit 0
fi
echo "bench: wrk not found; installing it with apt-get" >&2
if command -v apt-get >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && apt-get install -y -qq wrk && exit 0
	elif command -v sudo >/dev/null 2>&1; then
		sudo apt-get update -qq && sudo apt-get install -y -qq wrk && exit 0
	fi
fi
cat >&2 <<'MSG'
bench: could not install wrk automatically (needs apt-get and root or sudo).
Install the `wrk` HTTP benchmarking tool by hand (https://github.com/wg/wrk;
`apt-get install wrk`, `brew install wrk`, ...) and run `make bench` again.
MSG
exit 1
