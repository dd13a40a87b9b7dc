#!/bin/sh
# The recording proxy's overhead, side by side in one run:
#   direct    wrk against the upstream (a bare Fiber handler, bench/bare)
#   recorded  wrk through a reverse-proxy recording session to the same
#             upstream, every exchange recorded and stored
# Each case runs ROUNDS times (default 3), interleaved, and the median is
# reported (a 2-core machine is noisy): req/s, p50 and p99, the added p50,
# and how many entries the session stored.
# Usage: bench/recorder.sh [duration]   (default 10s; needs wrk, installed from Debian if missing)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10s}
CONC=${CONC:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
PORT_BARE=${PORT_BARE:-5793}
PORT_MK=${PORT_MK:-5794}

need_wrk
make build >/dev/null
(cd bench && go build -o ../bin/bench-bare ./bare)

BODY='{"message":"Hello, World!"}'
HTTP_PORT=$PORT_MK MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=recorder ALLOW_PROXY_TO_PRIVATE_IPS=true ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
./bin/bench-bare -addr 127.0.0.1:$PORT_BARE -body "$BODY" &
pids="$pids $!"
for i in $(seq 1 50); do
	curl -fs "http://127.0.0.1:$PORT_MK/health/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$PORT_BARE/" >/dev/null 2>&1 && break
	sleep 0.2
done
session=$(curl -fs -X POST "http://127.0.0.1:$PORT_MK/api/v1/recorder/start" -H 'Content-Type: application/json' \
	-d "{\"name\": \"bench\", \"targetUrl\": \"http://127.0.0.1:$PORT_BARE\"}")
id=$(echo "$session" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
port=$(echo "$session" | sed -n 's/.*"port":\([0-9]*\).*/\1/p')

run() { # name url
	wrk -t"$THREADS" -c"$CONC" -d1s "$2" >/dev/null
	wrk -t"$THREADS" -c"$CONC" -d"$DUR" --latency "$2" >"$tmp/$1.txt"
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")
	p50=$(awk '$1=="50%" {print $2}' "$tmp/$1.txt")
	p99=$(awk '$1=="99%" {print $2}' "$tmp/$1.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/$1.txt")
	echo "$1 $rps $p50 $p99 ${non2xx:-0}"
}

for round in $(seq 1 "$ROUNDS"); do
	run direct "http://127.0.0.1:$PORT_BARE/api/items"
	run recorded "http://127.0.0.1:$port/api/items"
done >"$tmp/all"
for c in direct recorded; do
	awk -v c="$c" '$1==c' "$tmp/all" | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
done >"$tmp/results"
# Every exchange is stored: the entry count once the session has caught up.
sleep 2
entries=$(curl -fs "http://127.0.0.1:$PORT_MK/api/v1/recorder/$id" | sed -n 's/.*"entryCount":\([0-9]*\).*/\1/p')
sent=$(awk '/requests in/ {n+=$1} END {print n}' "$tmp"/recorded.txt)

direct=$(awk '$1=="direct" {print $2}' "$tmp/results")
echo "| case | req/s | p50 | p99 | non-2xx | vs direct |"
echo "|---|---:|---:|---:|---:|---:|"
awk -v d="$direct" '{printf "| %s | %.0f | %s | %s | %s | %.2fx |\n", $1, $2, $3, $4, $5, $2/d}' "$tmp/results"
echo
echo "entries stored by the session: $entries (all rounds and warm-ups; the last round alone sent $sent)"
echo "median of $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONC -d$DUR on $(nproc) cores, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}')"
