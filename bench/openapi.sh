#!/bin/sh
# Side by side with Stoplight Prism 5.16.0 on the same OpenAPI descriptions:
# each server mocks the description (Mockarty through its OpenAPI generator,
# Prism with `prism mock`), then bench/oascheck calls every operation once
# and validates each answer's body against the operation's response schema
# (kin-openapi, formats included), and measures requests per second over
# the GET operations (32 clients, LOAD seconds each).
# Usage: bench/openapi.sh [load]   (default 10s)
# Needs: node/npm (Prism from npm into PEERS_DIR), the real-world
# descriptions `make clients` fetches into .clients/openapi.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
LOAD=${1:-10s}
PEERS_DIR=${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mockarty-bench-peers}
PRISM_VERSION=5.16.0
PORT_MK=${PORT_MK:-5796}
PORT_PRISM=${PORT_PRISM:-4010}

log() { echo "openapi.sh: $*" >&2; }
if [ ! -x "$PEERS_DIR/node_modules/.bin/prism" ]; then
	log "npm install @stoplight/prism-cli@$PRISM_VERSION into $PEERS_DIR"
	mkdir -p "$PEERS_DIR"
	[ -f "$PEERS_DIR/package.json" ] || echo '{"name":"mockarty-bench-peers","private":true}' >"$PEERS_DIR/package.json"
	npm install --prefix "$PEERS_DIR" --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >&2
fi
[ -f .clients/openapi/.done ] || make clients >&2
make build >/dev/null
(cd bench && go build -o ../bin/oascheck ./oascheck)

OAS=host/internal/generate/openapigen/testdata/oas-examples
SPECS="$OAS/2.0/petstore.yaml $OAS/3.0/petstore.yaml $OAS/3.1/train-travel.yaml .clients/openapi/spotify.com.json .clients/openapi/twitter.com-current.json .clients/openapi/trello.com.json"

wait_http() { # url
	for i in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done
	log "$1 did not come up"; return 1
}

HTTP_PORT=$PORT_MK MOCKARTY_DATA_DIR=$tmp/data LOG_LEVEL=warn PLUGINS=none ./bin/mockarty 2>"$tmp/mockarty.log" &
pids="$pids $!"
wait_http "http://127.0.0.1:$PORT_MK/health/ready"

echo "| description | operations | Mockarty schema-valid | Prism schema-valid | Mockarty req/s | Prism req/s | generate (Mockarty) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
n=0
for spec in $SPECS; do
	n=$((n + 1))
	ns="oas$n"
	node -e 'const fs=require("fs");process.stdout.write(JSON.stringify({spec:fs.readFileSync(process.argv[1],"utf8"),namespace:process.argv[2]}))' "$spec" "$ns" >"$tmp/req.json"
	t0=$(date +%s%N)
	curl -fs -X POST "http://127.0.0.1:$PORT_MK/api/v1/generators/openapi" -H 'Content-Type: application/json' --data-binary @"$tmp/req.json" >/dev/null
	gen_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	mk=$(./bin/oascheck -spec "$spec" -base "http://127.0.0.1:$PORT_MK/stubs/$ns" -name mockarty -load "$LOAD")

	"$PEERS_DIR/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$PORT_PRISM" "$spec" >"$tmp/prism.log" 2>&1 &
	prism=$!
	pids="$pids $prism"
	wait_http "http://127.0.0.1:$PORT_PRISM/"
	pr=$(./bin/oascheck -spec "$spec" -base "http://127.0.0.1:$PORT_PRISM" -root -name prism -load "$LOAD")
	kill "$prism"; wait "$prism" 2>/dev/null || true

	echo "$mk" >>"$tmp/all.jsonl"; echo "$pr" >>"$tmp/all.jsonl"
	node -e '
const [mk, pr, spec, gen] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3], process.argv[4]];
const pct = r => `${r.schemaValid}/${r.operations} (${(100 * r.validShare).toFixed(0)}%)`;
console.log(`| ${spec.split("/").slice(-2).join("/")} | ${mk.operations} | ${pct(mk)} | ${pct(pr)} | ${mk.rps} | ${pr.rps} | ${gen} ms |`);
for (const r of [mk, pr]) for (const f of r.firstFailures || []) console.error(`  ${r.server}: ${f}`);
' "$mk" "$pr" "$spec" "$gen_ms"
done
echo
echo "each server alone on $(nproc) cores with the load client, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}'), Prism $PRISM_VERSION on node $(node --version)"
