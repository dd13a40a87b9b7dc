#!/bin/sh
# End-to-end throughput of /stubs against the bare-server limit, in one run:
#   bare      a Fiber handler returning fixed bytes (bench/bare)
#   static    GET /stubs/sandbox/api/static: one mock, fixed payload
#   templated GET /stubs/sandbox/api/templated: 3 conditions, 3 fakers
#   plugin    GET /api/static on the HTTP listener plugin (the same static mock)
# Each case runs ROUNDS times (default 3), interleaved with the others, and
# the median is reported, because a 2-core machine is noisy.
# Usage: bench/stubs.sh [duration]   (default 10s; needs wrk, installed from Debian if missing)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10s}
CONC=${CONC:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
PORT_BARE=${PORT_BARE:-5790}
PORT_MK=${PORT_MK:-5791}
PORT_PLUGIN=${PORT_PLUGIN:-5792}

need_wrk
make build >/dev/null
(cd bench && go build -o ../bin/bench-bare ./bare)


STATIC='{"message":"Hello, World!"}'
echo "{\"http\": {\"settings\": {\"addresses\": [\"127.0.0.1:$PORT_PLUGIN\"]}}}" >"$tmp/plugins.json"
HTTP_PORT=$PORT_MK MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=http PLUGINS_CONFIG="$tmp/plugins.json" ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
./bin/bench-bare -addr 127.0.0.1:$PORT_BARE -body "$STATIC" &
pids="$pids $!"
for i in $(seq 1 50); do
	curl -fs "http://127.0.0.1:$PORT_MK/health/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$PORT_BARE/" >/dev/null 2>&1 &&
		curl -s "http://127.0.0.1:$PORT_PLUGIN/" >/dev/null 2>&1 && break
	sleep 0.2
done

API="http://127.0.0.1:$PORT_MK/api/v1/mocks"
curl -fs -X POST "$API" -H 'Content-Type: application/json' -d '{"id":"static","http":{"route":"/api/static","httpMethod":"GET"},
 "response":{"statusCode":200,"payload":{"message":"Hello, World!"}}}' >/dev/null
curl -fs -X POST "$API" -H 'Content-Type: application/json' -d '{"id":"templated","http":{"route":"/api/templated","httpMethod":"GET",
 "header":[{"path":"Authorization","assertAction":"matches","value":"^Bearer .+$"}],
 "queryParams":[{"path":"limit","assertAction":"equals","value":10},{"path":"format","assertAction":"equals","value":"json"}]},
 "response":{"statusCode":200,"payload":{"id":"$.fake.UUID","name":"$.fake.FirstName","email":"$.fake.Email","limit":"$.queryParams.limit"}}}' >/dev/null

run() { # name url [header]
	if [ -n "${3:-}" ]; then
		wrk -t"$THREADS" -c"$CONC" -d1s -H "$3" "$2" >/dev/null
		wrk -t"$THREADS" -c"$CONC" -d"$DUR" --latency -H "$3" "$2" >"$tmp/$1.txt"
	else
		wrk -t"$THREADS" -c"$CONC" -d1s "$2" >/dev/null
		wrk -t"$THREADS" -c"$CONC" -d"$DUR" --latency "$2" >"$tmp/$1.txt"
	fi
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")
	p50=$(awk '$1=="50%" {print $2}' "$tmp/$1.txt")
	p99=$(awk '$1=="99%" {print $2}' "$tmp/$1.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/$1.txt")
	echo "$1 $rps $p50 $p99 ${non2xx:-0}"
}

for round in $(seq 1 "$ROUNDS"); do
	run bare "http://127.0.0.1:$PORT_BARE/api/static"
	run static "http://127.0.0.1:$PORT_MK/stubs/sandbox/api/static"
	run templated "http://127.0.0.1:$PORT_MK/stubs/sandbox/api/templated?limit=10&format=json" "Authorization: Bearer bench"
	run plugin "http://127.0.0.1:$PORT_PLUGIN/api/static"
done >"$tmp/all"
# The median round of each case (by req/s).
for c in bare static templated plugin; do
	awk -v c="$c" '$1==c' "$tmp/all" | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
done >"$tmp/results"

bare=$(awk '$1=="bare" {print $2}' "$tmp/results")
echo "| case | req/s | p50 | p99 | non-2xx | vs bare |"
echo "|---|---:|---:|---:|---:|---:|"
awk -v bare="$bare" '{printf "| %s | %.0f | %s | %s | %s | %.2fx |\n", $1, $2, $3, $4, $5, $2/bare}' "$tmp/results"
echo
echo "median of $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONC -d$DUR on $(nproc) cores, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}')"
