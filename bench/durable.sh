#!/bin/sh
# The cost of durable writes on /stubs (docs/benchmarks.md, "Durable writes"):
#   static   POST /stubs/sandbox/static: one mock, fixed payload (the baseline)
#   extract  POST /stubs/sandbox/extract: $.increment($.gS.n || 0) into the
#            global store, shown in the response: every response waits for
#            its write to be committed (group commit)
#   limited  POST /stubs/sandbox/limited: useLimiter 2^31-1: every response
#            waits for the mock's use counter to be committed
# Each case runs ROUNDS times (default 3), interleaved, and the median is
# reported with its ratio to static.
# Usage: bench/durable.sh [duration]   (default 10s; DB_DSN=postgres://... for PostgreSQL)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10s}
CONC=${CONC:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
PORT_MK=${PORT_MK:-5793}

need_wrk
make build >/dev/null


HTTP_PORT=$PORT_MK MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=none ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
for i in $(seq 1 50); do
	curl -fs "http://127.0.0.1:$PORT_MK/health/ready" >/dev/null 2>&1 && break
	sleep 0.2
done

API="http://127.0.0.1:$PORT_MK/api/v1/mocks"
mock() { curl -fs -X POST "$API" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
mock '{"id":"bench-static","http":{"route":"/static","httpMethod":"POST"},"response":{"statusCode":200,"payload":{"n":1}}}'
mock '{"id":"bench-extract","http":{"route":"/extract","httpMethod":"POST"},"extract":{"gStore":{"benchN":"$.increment($.gS.benchN || 0)"}},
 "response":{"statusCode":200,"payload":{"n":"$.gS.benchN"}}}'
mock '{"id":"bench-limited","useLimiter":2147483647,"http":{"route":"/limited","httpMethod":"POST"},"response":{"statusCode":200,"payload":{"n":1}}}'

printf 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n' >"$tmp/post.lua"
run() { # name url
	wrk -t"$THREADS" -c"$CONC" -d1s -s "$tmp/post.lua" "$2" >"$tmp/$1.warm"
	wrk -t"$THREADS" -c"$CONC" -d"$DUR" --latency -s "$tmp/post.lua" "$2" >"$tmp/$1.txt"
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")
	p50=$(awk '$1=="50%" {print $2}' "$tmp/$1.txt")
	p99=$(awk '$1=="99%" {print $2}' "$tmp/$1.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/$1.txt")
	reqs=$(cat "$tmp/$1.warm" "$tmp/$1.txt" | awk '/requests in/ {s+=$1} END {print s}')
	echo "$1 $rps $p50 $p99 ${non2xx:-0} $reqs"
}

for round in $(seq 1 "$ROUNDS"); do
	for c in static extract limited; do
		run "$c" "http://127.0.0.1:$PORT_MK/stubs/sandbox/$c"
	done
done >"$tmp/all"
for c in static extract limited; do
	awk -v c="$c" '$1==c' "$tmp/all" | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
done >"$tmp/results"

db=sqlite
[ -n "${DB_DSN:-}" ] && db=postgresql
static=$(awk '$1=="static" {print $2}' "$tmp/results")
# The journal kept up: the static mock's use counter (written by the journal,
# read through the API) against every call wrk counted, warm-ups included
# (calls cut off when a wrk run ends may be answered without being counted
# by wrk, so the mock's count may be a little higher, never lower).
sent=$(awk '$1=="static" {s+=$6} END {print s}' "$tmp/all")
counted=$(curl -fs "$API/bench-static" | sed -n 's/.*"useCounter":\([0-9]*\).*/\1/p')
echo "| case ($db) | req/s | p50 | p99 | non-2xx | vs static |"
echo "|---|---:|---:|---:|---:|---:|"
awk -v s="$static" '{printf "| %s | %.0f | %s | %s | %s | %.2fx |\n", $1, $2, $3, $4, $5, $2/s}' "$tmp/results"
echo
echo "journal: the static mock counted $counted calls; wrk counted $sent"
echo "median of $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONC -d$DUR on $(nproc) cores, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}')"
