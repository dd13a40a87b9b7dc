#!/bin/sh
# Load generation efficiency: the perf plugin against wrk, side by side on
# the same bare Fiber target (bench/bare) and connection count, each case
# ROUNDS times (default 3) interleaved, median reported:
#   wrk         wrk -t2 -cC
#   script      a k6 script: one http.get and one check per iteration, C VUs
#   scriptless  POST /perf/run {targetUrl, concurrency: C}: the script the plugin writes
# Usage: bench/perf.sh [duration]   (default 10s; C is CONC, default 32; needs wrk)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10s}
CONC=${CONC:-32}
ROUNDS=${ROUNDS:-3}
PORT_BARE=${PORT_BARE:-5794}
PORT=${PORT:-5795}
need_wrk
make build >/dev/null
(cd bench && go build -o ../bin/bench-bare ./bare)


./bin/bench-bare -addr 127.0.0.1:$PORT_BARE &
pids="$pids $!"
ALLOW_PROXY_TO_PRIVATE_IPS=true HTTP_PORT=$PORT MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=perf PLUGINS_DIR=$(pwd)/bin ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
BASE="http://127.0.0.1:$PORT"
TARGET="http://127.0.0.1:$PORT_BARE/"
for i in $(seq 1 100); do
	curl -fs "$BASE/api/v1/plugins" 2>/dev/null | grep -q '"state":"running"' && curl -fs "$TARGET" >/dev/null 2>&1 && break
	sleep 0.2
done

# run <name> <json body>: starts a load run and prints its requests/s.
run() {
	id=$(curl -fs -X POST "$BASE/api/v1/perf/run" -H 'Content-Type: application/json' -d "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	while :; do
		r=$(curl -fs "$BASE/api/v1/perf-results/$id")
		st=$(printf "%s" "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
		[ "$st" != "running" ] && break
		sleep 1
	done
	printf "%s" "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%s %.0f %.2f %.2f" % (sys.argv[1], r["rps"], r["metrics"]["http_req_duration"]["med"], r["metrics"]["http_req_duration"]["p(95)"]))' "$1"
}
SCRIPT='import http from "k6/http"; import { check } from "k6";
export default function () { const r = http.get(__ENV.TARGET); check(r, { "200": (x) => x.status === 200 }); }'
for round in $(seq 1 "$ROUNDS"); do
	wrk -t2 -c"$CONC" -d"$DUR" --latency "$TARGET" >"$tmp/wrk.txt"
	awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="90%" {p90=$2} END {print "wrk", rps, p50, p90}' "$tmp/wrk.txt"
	run script "$(python3 -c 'import json,sys; print(json.dumps({"script": sys.argv[1], "vus": int(sys.argv[2]), "duration": sys.argv[3], "environment": {"TARGET": sys.argv[4]}}))' "$SCRIPT" "$CONC" "$DUR" "$TARGET")"
	run scriptless "{\"targetUrl\":\"$TARGET\",\"concurrency\":$CONC,\"duration\":\"$DUR\"}"
done >"$tmp/all"
for c in wrk script scriptless; do
	awk -v c="$c" '$1==c' "$tmp/all" | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
done >"$tmp/results"
wrk=$(awk '$1=="wrk" {print $2}' "$tmp/results")
echo "| load generator | req/s | latency p50 | vs wrk |"
echo "|---|---:|---:|---:|"
awk -v w="$wrk" '{printf "| %s | %.0f | %s | %.2fx |\n", $1, $2, $3, $2/w}' "$tmp/results"
echo
echo "median of $ROUNDS interleaved rounds of $DUR, $CONC connections/VUs, bare Fiber target, $(nproc) cores, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}')"
echo "(wrk's p50 is as wrk prints it; the others' is in ms)"
