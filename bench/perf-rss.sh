#!/bin/sh
# The perf plugin's memory over a long run: a k6 script (one http.get and
# one check per iteration) at VUS VUs (default 50) for DUR (default 10m)
# against the bare Fiber target; the plugin's RSS is sampled every 30 s.
# Usage: bench/perf-rss.sh [duration]
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
DUR=${1:-10m}
VUS=${VUS:-50}
PORT_BARE=${PORT_BARE:-5796}
PORT=${PORT:-5797}
make build >/dev/null
(cd bench && go build -o ../bin/bench-bare ./bare)
./bin/bench-bare -addr 127.0.0.1:$PORT_BARE &
pids="$pids $!"
ALLOW_PROXY_TO_PRIVATE_IPS=true HTTP_PORT=$PORT MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=perf PLUGINS_DIR=$(pwd)/bin ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
BASE="http://127.0.0.1:$PORT"
for i in $(seq 1 100); do
	curl -fs "$BASE/api/v1/plugins" 2>/dev/null | grep -q '"state":"running"' && break
	sleep 0.2
done
pid=$(curl -fs "$BASE/api/v1/plugins" | python3 -c 'import json,sys; print([p for p in json.load(sys.stdin)["plugins"] if p["name"]=="perf"][0]["pid"])')
SCRIPT='import http from "k6/http"; import { check } from "k6";
export default function () { const r = http.get(__ENV.TARGET); check(r, { "200": (x) => x.status === 200 }); }'
id=$(python3 -c 'import json,sys; print(json.dumps({"script": sys.argv[1], "vus": int(sys.argv[2]), "duration": sys.argv[3], "environment": {"TARGET": sys.argv[4]}}))' "$SCRIPT" "$VUS" "$DUR" "http://127.0.0.1:$PORT_BARE/" |
	curl -fs -X POST "$BASE/api/v1/perf/run" -H 'Content-Type: application/json' -d @- | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "| elapsed | plugin RSS (MiB) | requests so far |"
echo "|---:|---:|---:|"
start=$(date +%s)
while :; do
	r=$(curl -fs "$BASE/api/v1/perf-results/$id")
	st=$(printf "%s" "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
	rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$pid/status 2>/dev/null || echo "-")
	reqs=$(printf "%s" "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalRequests"])')
	echo "| $(( $(date +%s) - start ))s | $rss | $reqs |"
	[ "$st" != "running" ] && break
	sleep 30
done
echo
echo "$VUS VUs for $DUR, $(nproc) cores, $(date -u +%Y-%m-%d); final status $st"
