#!/bin/sh
# The API tester against newman, side by side on the same input and target:
# a collection of N requests (default 1000), each with a test script, run
# against a static mock on the same server, ROUNDS times (default 3) each,
# interleaved, median reported. Mockarty's time is the run as its CLI sees
# it (`run collection --wait`, start to end); newman's is `newman run`.
# Usage: bench/tester.sh [requests]   (needs make clients for newman)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-5793}
NEWMAN=${NEWMAN:-$(pwd)/.clients/node_modules/.bin/newman}
[ -x "$NEWMAN" ] || { echo "newman not found: run make clients" >&2; exit 1; }
make build >/dev/null


HTTP_PORT=$PORT MOCKARTY_DATA_DIR=$tmp LOG_LEVEL=warn PLUGINS=tester PLUGINS_DIR=$(pwd)/bin ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
BASE="http://127.0.0.1:$PORT"
for i in $(seq 1 100); do
	curl -fs "$BASE/api/v1/plugins" 2>/dev/null | grep -q '"state":"running"' && break
	sleep 0.2
done
curl -fs -X POST "$BASE/api/v1/mocks" -H 'Content-Type: application/json' -d '{"id":"users","http":{"route":"/api/users/:id","httpMethod":"GET"},
 "response":{"statusCode":200,"payload":{"id":1,"name":"Ann","roles":["admin","dev"]}}}' >/dev/null

python3 - "$N" "$BASE" >"$tmp/collection.json" <<'PY'
import json, sys
n, base = int(sys.argv[1]), sys.argv[2]
test = ['pm.test("status", function () { pm.response.to.have.status(200); });',
        'pm.test("body", function () { var j = pm.response.json(); pm.expect(j.name).to.eql("Ann"); pm.expect(j.roles).to.include("dev"); });']
items = [{"name": "user %d" % i, "request": {"method": "GET", "url": base + "/stubs/sandbox/api/users/%d" % i},
          "event": [{"listen": "test", "script": {"exec": test}}]} for i in range(n)]
print(json.dumps({"info": {"name": "bench", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": items}))
PY
export MOCKARTY_SERVER=$BASE MOCKARTY_NAMESPACE=sandbox HOME=$tmp
./bin/mockarty-cli import postman --file "$tmp/collection.json" >/dev/null

ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
for round in $(seq 1 "$ROUNDS"); do
	t0=$(ms); "$NEWMAN" run "$tmp/collection.json" -r cli --reporter-cli-no-summary --reporter-cli-no-success-assertions >/dev/null 2>&1 || true; t1=$(ms)
	echo "newman $((t1 - t0))"
	t0=$(ms); ./bin/mockarty-cli run collection bench --wait -o json >"$tmp/run.json"; t1=$(ms)
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["passedTests"]==2*int(sys.argv[2]), r["status"]' "$tmp/run.json" "$N"
	echo "mockarty $((t1 - t0))"
done >"$tmp/all"
for c in newman mockarty; do
	awk -v c="$c" '$1==c' "$tmp/all" | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
done >"$tmp/results"
newman=$(awk '$1=="newman" {print $2}' "$tmp/results")
echo "| runner | $N requests, $((2 * N)) tests | requests/s | vs newman |"
echo "|---|---:|---:|---:|"
awk -v nm="$newman" -v n="$N" '{printf "| %s | %.2f s | %.0f | %.2fx |\n", $1, $2/1000, n/($2/1000), nm/$2}' "$tmp/results"
echo
echo "median of $ROUNDS interleaved rounds on $(nproc) cores, $(date -u +%Y-%m-%d), newman $("$NEWMAN" --version), $(go version | awk '{print $3}')"
