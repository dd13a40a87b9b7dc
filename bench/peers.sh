#!/usr/bin/env bash
# Side by side with peer mock servers (make bench-peers; docs/benchmarks.md).
#
# Starts each server on loopback in turn, loads equivalent stubs into it,
# runs the same wrk load against it and stops it:
#   bare        bench/bare, a Fiber handler returning fixed bytes: the limit
#   mockarty    the host's /stubs, and the HTTP listener plugin (plugins/http)
#   wiremock    WireMock 3.13.2 (npm package "wiremock", the standalone jar, on Java 17)
#   mountebank  Mountebank 2.9.1 (npm package "mountebank", on Node.js)
# Cases: 1 static stub; a templated stub (fakers + conditions); a miss (404);
# then 1,000, 10,000 and 100,000 stubs with wrk hitting a random one of them.
# For each: req/s, p50, p99, the server's RSS after the run (VmRSS), and the
# start-up time from the process start to the first stub answered 200.
# A load step that takes longer than LOAD_CAP seconds is stopped and the
# server is recorded as "stalled" from that number of stubs on.
#
# Usage: bench/peers.sh [quick | DURATION]
#   DURATION    wrk duration of each case (default 10s); the full run takes ~10-12 min
#   quick       (or BENCH_QUICK=1) a smoke run: 2s per case, up to 1,000 stubs; it
#               writes its table and chart to $PEERS_OUT (default /tmp/mockarty-bench-peers)
#               instead of docs/
# Environment: WARMUP (2s), CONC (64), THREADS (2), WRK_TIMEOUT (5s), LOAD_CAP (90),
#   STUB_COUNTS ("1000 10000 100000"), PEERS_DIR (where npm installs the peers,
#   default ~/.cache/mockarty-bench-peers), PEERS_OUT (where the results CSV and wrk's output
#   are kept; default $PEERS_DIR/last-run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START_S=$(date +%s)

PEERS_DIR=${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mockarty-bench-peers}
QUICK=${BENCH_QUICK:-0}
ARG=${1:-}
if [ "$ARG" = quick ]; then QUICK=1; ARG=; fi
if [ "$QUICK" = 1 ]; then
	DUR=${ARG:-${DUR:-2s}}
	WARMUP=${WARMUP:-1s}
	JVM_WARM_ROUND=${JVM_WARM_ROUND:-2s}
	JVM_WARM_MIN=${JVM_WARM_MIN:-2}
	JVM_WARM_MAX=${JVM_WARM_MAX:-3}
	STUB_COUNTS=${STUB_COUNTS:-1000}
	LOAD_CAP=${LOAD_CAP:-30}
	OUT=${PEERS_OUT:-/tmp/mockarty-bench-peers}
	DOC=$OUT/benchmarks-section.md
	PNG=$OUT/bench-peers.png
else
	DUR=${ARG:-${DUR:-10s}}
	WARMUP=${WARMUP:-2s}
	JVM_WARM_ROUND=${JVM_WARM_ROUND:-4s}
	JVM_WARM_MIN=${JVM_WARM_MIN:-6}
	JVM_WARM_MAX=${JVM_WARM_MAX:-12}
	STUB_COUNTS=${STUB_COUNTS:-1000 10000 100000}
	LOAD_CAP=${LOAD_CAP:-90}
	OUT=${PEERS_OUT:-$PEERS_DIR/last-run}
	DOC=$ROOT/docs/benchmarks.md
	PNG=$ROOT/docs/bench-peers.png
fi
CONC=${CONC:-64}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
WIREMOCK_VERSION=3.13.2
MOUNTEBANK_VERSION=2.9.1
P_BARE=${P_BARE:-5800}
P_MK=${P_MK:-5801}
P_PLUGIN=${P_PLUGIN:-5802}
P_WM=${P_WM:-5803}
P_MB=${P_MB:-5804}
P_MBI=${P_MBI:-5805}
STATIC='{"message":"Hello, World!"}'
AUTH='Authorization: Bearer bench'
TPL_QUERY='?limit=10&format=json'

log() { printf '%s [%4ss] %s\n' "$(date +%H:%M:%S)" "$(($(date +%s) - START_S))" "$*" >&2; }
die() { log "error: $*"; exit 1; }
secs() { # "10s" / "500ms" / "2m" -> whole seconds (rounded up)
	case $1 in
	*ms) echo $(((${1%ms} + 999) / 1000)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

# ---- what the run needs ----
apt_install() { # package...
	log "installing $* from Debian"
	apt-get install -y "$@" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$@" >/dev/null; }
}
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v node >/dev/null 2>&1 || apt_install nodejs npm
command -v npm >/dev/null 2>&1 || apt_install npm
command -v curl >/dev/null 2>&1 || apt_install curl
for p in $P_BARE $P_MK $P_PLUGIN $P_WM $P_MB $P_MBI; do
	if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then die "port $p is in use (set P_BARE, P_MK, P_PLUGIN, P_WM, P_MB, P_MBI)"; fi
done

pkg_version() { node -p "require('$PEERS_DIR/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(pkg_version wiremock)" != "$WIREMOCK_VERSION" ] || [ "$(pkg_version mountebank)" != "$MOUNTEBANK_VERSION" ]; then
	log "npm install wiremock@$WIREMOCK_VERSION mountebank@$MOUNTEBANK_VERSION into $PEERS_DIR"
	mkdir -p "$PEERS_DIR"
	[ -f "$PEERS_DIR/package.json" ] || echo '{"name":"mockarty-bench-peers","private":true}' >"$PEERS_DIR/package.json"
	npm install --prefix "$PEERS_DIR" --no-audit --no-fund --loglevel=error \
		"wiremock@$WIREMOCK_VERSION" "mountebank@$MOUNTEBANK_VERSION" >&2
fi
WM_JAR=$(ls "$PEERS_DIR"/node_modules/wiremock/build/wiremock-standalone-*.jar)
MB_BIN=$PEERS_DIR/node_modules/mountebank/bin/mb
[ -f "$WM_JAR" ] && [ -f "$MB_BIN" ] || die "the npm packages did not install"

log "building mockarty, the HTTP listener plugin and the bench helpers"
mkdir -p bin
(cd host && go build -ldflags '-s -w' -o ../bin/mockarty ./cmd/mockarty)
(cd plugins/http && go build -ldflags '-s -w' -o ../../bin/mockarty-plugin-http .)
(cd bench && go build -o ../bin/bench-bare ./bare && go build -o ../bin/bench-peerctl ./peerctl && go build -o ../bin/bench-chart ./chart)
PEERCTL=$ROOT/bin/bench-peerctl

# ---- processes: each server runs in its own process group ----
tmp=$(mktemp -d)
GROUPS_STARTED=""
alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1==g && $2 !~ /^Z/ {f=1} END {exit !f}'; }
stop_group() { # pgid: TERM the group, KILL it after 10 s
	local g=$1 i
	kill -TERM -- "-$g" 2>/dev/null || true
	for i in $(seq 1 100); do alive "$g" || break; sleep 0.1; done
	if alive "$g"; then
		log "process group $g did not stop on TERM: KILL"
		kill -KILL -- "-$g" 2>/dev/null || true
		for i in $(seq 1 50); do alive "$g" || break; sleep 0.1; done
	fi
	wait "$g" 2>/dev/null || true
	GROUPS_STARTED=$(echo "$GROUPS_STARTED" | tr ' ' '\n' | grep -vx "$g" | tr '\n' ' ' || true)
}
ALL_GROUPS=""
cleanup() {
	local rc=$? g left
	trap - EXIT INT TERM HUP
	for g in $GROUPS_STARTED; do stop_group "$g"; done
	left=$(for g in $ALL_GROUPS; do ps -e -o pid=,pgid=,args= | awk -v g="$g" '$2==g'; done)
	if [ -n "$left" ]; then
		log "processes left behind:"
		echo "$left" >&2
		rc=1
	else
		log "stopped every process it started (ps shows none of the process groups $ALL_GROUPS)"
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

quote() { # prints its arguments as a shell command line
	local a out=
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./:=,@%+-]* | '') out="$out '$a'" ;; # (no argument here holds a quote)
		*) out="$out $a" ;;
		esac
	done
	echo "${out# }"
}

# start NAME CMD...: starts CMD in a new session; sets SPID (= its process
# group) and T0 (Unix nanoseconds just before the start).
start() {
	local name=$1
	shift
	quote "$@" >>"$tmp/commands"
	T0=$(date +%s%N)
	setsid "$@" >"$tmp/$name.log" 2>&1 &
	SPID=$!
	GROUPS_STARTED="$GROUPS_STARTED $SPID"
	ALL_GROUPS="$ALL_GROUPS $SPID"
	sleep 0.05
	local g
	g=$(ps -o pgid= -p "$SPID" | tr -d ' ' || true)
	[ -z "$g" ] || [ "$g" = "$SPID" ] || die "$name did not get its own process group"
}

logged() { # CMD...: runs CMD and records it for the report
	quote "$@" >>"$tmp/load-commands"
	"$@"
}

rss_kb() { # pid... -> sum of VmRSS in kB
	local t=0 p v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
group_pids() { ps -e -o pid=,pgid= | awk -v g="$1" '$2==g {print $1}'; }

# ---- results ----
RESULTS=$tmp/results.csv
echo "server,case,n,rps,p50_ms,p99_ms,rss_kb,non2xx,errors,status" >"$RESULTS"
row() { echo "$*" >>"$RESULTS"; }
to_ms() { # wrk latency "612.00us" / "1.20ms" / "2.01s" -> ms
	awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); n = v + 0;
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.3f", n }'
}

# warm SERVER N URL CAP WRK_ARGS...: the warm-up before a measured run. A
# JVM peer (WireMock) speeds up for many seconds as its JIT compiles the
# hot paths (a plateau after three rounds can still rise by a third), so
# it is warmed in at least JVM_WARM_MIN rounds of JVM_WARM_ROUND, then until
# two rounds in a row differ by less than 5% (at most JVM_WARM_MAX rounds);
# other servers get one WARMUP run. The rounds go to the log.
warm() {
	local server=$1 n=$2 url=$3 cap=$4
	shift 4
	if [ "$server" != wiremock ]; then
		WRK_N=$n WRK_PREFIX=${PREFIX:-} timeout "$cap" wrk "$@" -d"$WARMUP" "$url" >/dev/null 2>&1
		return
	fi
	local prev=0 rps i rounds=""
	for i in $(seq 1 "$JVM_WARM_MAX"); do
		rps=$(WRK_N=$n WRK_PREFIX=${PREFIX:-} timeout "$cap" wrk "$@" -d"$JVM_WARM_ROUND" "$url" 2>/dev/null |
			awk '/^Requests\/sec/ {printf "%.0f", $2}') || return 1
		[ -n "$rps" ] || return 1
		rounds="$rounds $rps"
		if [ "$i" -ge "$JVM_WARM_MIN" ] && [ "$prev" -gt 0 ] && awk -v a="$rps" -v b="$prev" 'BEGIN {d = (a - b) / b; if (d < 0) d = -d; exit !(d < 0.05)}'; then
			break
		fi
		prev=$rps
	done
	log "  warm-up rounds of $JVM_WARM_ROUND (req/s):$rounds"
}

# measure SERVER CASE N URL PIDS [HEADER]: the warm-up and one measured wrk run.
# For CASE=random, URL is the base and PREFIX the path, to which wrk's Lua
# script appends a random number in 1..N.
measure() {
	local server=$1 kase=$2 n=$3 url=$4 pids=$5 hdr=${6:-}
	local args=(-t"$THREADS" -c"$CONC" --timeout "$WRK_TIMEOUT")
	[ -z "$hdr" ] || args+=(-H "$hdr")
	[ "$kase" != random ] || args+=(-s bench/random.lua)
	local out=$tmp/wrk-$server-$kase-$n.txt cap=$(($(secs "$DUR") + $(secs "$WRK_TIMEOUT") + 30))
	log "$server $kase${n:+ n=$n}: wrk ${args[*]} -d$DUR $url"
	if [ "$kase" = random ]; then
		echo "WRK_N=$n WRK_PREFIX=$PREFIX $(quote wrk "${args[@]}" --latency -d"$DUR" "$url")" >>"$tmp/wrk-commands"
	else
		quote wrk "${args[@]}" --latency -d"$DUR" "$url" >>"$tmp/wrk-commands"
	fi
	if ! warm "$server" "$n" "$url" "$cap" "${args[@]}" ||
		! WRK_N=$n WRK_PREFIX=${PREFIX:-} timeout "$cap" wrk "${args[@]}" --latency -d"$DUR" "$url" >"$out" 2>&1; then
		row "$server,$kase,$n,0,0,0,$(rss_kb $pids),0,0,stalled (wrk did not finish)"
		return
	fi
	local rps p50 p99 total non2xx errs
	rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
	p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$out")")
	p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$out")")
	total=$(awk '/requests in/ {print $1}' "$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
	errs=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
	local status=ok
	if [ "${total:-0}" = 0 ]; then status="stalled (no answer in $WRK_TIMEOUT)"; fi
	row "$server,$kase,$n,${rps:-0},$p50,$p99,$(rss_kb $pids),${non2xx:-0},${errs:-0},$status"
	log "  -> $rps req/s, p50 ${p50} ms, p99 ${p99} ms, non-2xx ${non2xx:-0}, socket errors ${errs:-0}"
}

# expect URL STATUS [HEADER]: a case's URL must answer STATUS before it is measured.
expect() {
	local code
	code=$(curl -s --max-time 30 -o "$tmp/body" -w '%{http_code}' ${3:+-H "$3"} "$1" || true)
	[ "$code" = "$2" ] || die "$1 answered $code, not $2: $(head -c 300 "$tmp/body")"
	echo "$1 -> $code $(head -c 200 "$tmp/body")" >>"$tmp/answers"
}

# load SERVER FROM TO CMD...: a load step under LOAD_CAP; "ok" or "stalled".
load() {
	local server=$1 from=$2 to=$3
	shift 3
	log "$server: loading stubs $((from + 1))..$to (cap ${LOAD_CAP}s)"
	local t0 t1 rc=0
	quote "$@" >>"$tmp/load-commands"
	t0=$(date +%s%N)
	timeout "$LOAD_CAP" "$@" >"$tmp/load.out" 2>&1 || rc=$?
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	if [ "$rc" = 124 ]; then
		row "$server,load$to,$to,$ms,,,,,,stalled (> ${LOAD_CAP} s)"
		log "  -> stalled: loading took more than ${LOAD_CAP}s"
		return 1
	elif [ "$rc" != 0 ]; then
		row "$server,load$to,$to,$ms,,,,,,failed"
		log "  -> failed: $(head -c 300 "$tmp/load.out")"
		return 1
	fi
	row "$server,load$to,$to,$ms,,,,,,ok"
	log "  -> ${ms} ms"
}


machine() {
	echo "$(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory"
}
log "machine: $(machine); load average $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk '{exit !($1 > 1.0)}' /proc/loadavg; then
	log "warning: the machine is busy (load average $LOAD_BEFORE): the figures will be lower and noisier"
fi

# ---- bare: the limit ----
start bare ./bin/bench-bare -addr "127.0.0.1:$P_BARE" -body "$STATIC"
BARE_PID=$SPID
ms=$($PEERCTL wait -url "http://127.0.0.1:$P_BARE/api/static" -since "$T0" -timeout 30s)
row "bare,startup,,$ms,,,,,,ok"
expect "http://127.0.0.1:$P_BARE/api/static" 200
measure bare static 1 "http://127.0.0.1:$P_BARE/api/static" "$BARE_PID"
NMAX=$(echo "$STUB_COUNTS" | tr ' ' '\n' | sort -n | tail -1)
PREFIX=/api/r measure bare random "$NMAX" "http://127.0.0.1:$P_BARE" "$BARE_PID"
stop_group "$BARE_PID"

# ---- Mockarty: /stubs on the host and the HTTP listener plugin ----
mkdir -p "$tmp/mockarty"
echo "{\"http\": {\"settings\": {\"addresses\": [\"127.0.0.1:$P_PLUGIN\"]}}}" >"$tmp/plugins.json"
start mockarty env HTTP_PORT="$P_MK" MOCKARTY_DATA_DIR="$tmp/mockarty" LOG_LEVEL=warn AUTH_MODE=local \
	PLUGINS=http PLUGINS_CONFIG="$tmp/plugins.json" ./bin/mockarty
MK_PID=$SPID
$PEERCTL wait -url "http://127.0.0.1:$P_MK/health/ready" -timeout 60s
logged $PEERCTL setup -kind mockarty -url "http://127.0.0.1:$P_MK"
ms=$($PEERCTL wait -url "http://127.0.0.1:$P_MK/stubs/sandbox/api/static" -since "$T0" -timeout 60s)
row "mockarty,startup,,$ms,,,,,,ok"
ms=$($PEERCTL wait -url "http://127.0.0.1:$P_PLUGIN/api/static" -since "$T0" -timeout 60s)
row "plugin,startup,,$ms,,,,,,ok"
mk_pids() { echo "$MK_PID"; }
all_pids() { group_pids "$MK_PID" | tr '\n' ' '; }
MK=http://127.0.0.1:$P_MK/stubs/sandbox
PL=http://127.0.0.1:$P_PLUGIN
expect "$MK/api/static" 200
expect "$MK/api/templated$TPL_QUERY" 200 "$AUTH"
expect "$MK/api/missing" 404
expect "$PL/api/static" 200
expect "$PL/api/templated$TPL_QUERY" 200 "$AUTH"
expect "$PL/api/missing" 404
measure mockarty static 1 "$MK/api/static" "$(mk_pids)"
measure mockarty templated 1 "$MK/api/templated$TPL_QUERY" "$(mk_pids)" "$AUTH"
measure mockarty miss 0 "$MK/api/missing" "$(mk_pids)"
measure plugin static 1 "$PL/api/static" "$(all_pids)"
measure plugin templated 1 "$PL/api/templated$TPL_QUERY" "$(all_pids)" "$AUTH"
measure plugin miss 0 "$PL/api/missing" "$(all_pids)"
have=0 stalled=
for n in $STUB_COUNTS; do
	if [ -n "$stalled" ]; then
		row "mockarty,random,$n,0,0,0,0,0,0,skipped (stalled at $stalled)"
		row "plugin,random,$n,0,0,0,0,0,0,skipped (stalled at $stalled)"
		continue
	fi
	if ! load mockarty "$have" "$n" $PEERCTL stubs -kind mockarty -url "http://127.0.0.1:$P_MK" -from "$have" -to "$n" -chunk 5000; then
		stalled=$n
		row "mockarty,random,$n,0,0,0,$(rss_kb $(mk_pids)),0,0,stalled (loading > ${LOAD_CAP} s)"
		row "plugin,random,$n,0,0,0,$(rss_kb $(all_pids)),0,0,stalled (loading > ${LOAD_CAP} s)"
		continue
	fi
	have=$n
	expect "$MK/api/r$n" 200
	expect "$PL/api/r$n" 200
	PREFIX=/stubs/sandbox/api/r measure mockarty random "$n" "http://127.0.0.1:$P_MK" "$(mk_pids)"
	PREFIX=/api/r measure plugin random "$n" "$PL" "$(all_pids)"
done
stop_group "$MK_PID"

# ---- WireMock ----
mkdir -p "$tmp/wiremock"
start wiremock java -jar "$WM_JAR" --port "$P_WM" --bind-address 127.0.0.1 --root-dir "$tmp/wiremock" \
	--disable-banner --no-request-journal --disable-request-logging
WM_PID=$SPID
$PEERCTL wait -url "http://127.0.0.1:$P_WM/__admin/health" -timeout 60s
logged $PEERCTL setup -kind wiremock -url "http://127.0.0.1:$P_WM"
ms=$($PEERCTL wait -url "http://127.0.0.1:$P_WM/api/static" -since "$T0" -timeout 60s)
row "wiremock,startup,,$ms,,,,,,ok"
WM=http://127.0.0.1:$P_WM
expect "$WM/api/static" 200
expect "$WM/api/templated$TPL_QUERY" 200 "$AUTH"
expect "$WM/api/missing" 404
measure wiremock static 1 "$WM/api/static" "$WM_PID"
measure wiremock templated 1 "$WM/api/templated$TPL_QUERY" "$WM_PID" "$AUTH"
measure wiremock miss 0 "$WM/api/missing" "$WM_PID"
have=0 stalled=
for n in $STUB_COUNTS; do
	if [ -n "$stalled" ]; then
		row "wiremock,random,$n,0,0,0,0,0,0,skipped (stalled at $stalled)"
		continue
	fi
	if ! load wiremock "$have" "$n" $PEERCTL stubs -kind wiremock -url "$WM" -from "$have" -to "$n" -chunk 10000; then
		stalled=$n
		row "wiremock,random,$n,0,0,0,$(rss_kb "$WM_PID"),0,0,stalled (loading > ${LOAD_CAP} s)"
		continue
	fi
	have=$n
	expect "$WM/api/r$n" 200
	PREFIX=/api/r measure wiremock random "$n" "$WM" "$WM_PID"
done
stop_group "$WM_PID"

# ---- Mountebank ----
start mountebank node "$MB_BIN" start --port "$P_MB" --host 127.0.0.1 --allowInjection --loglevel warn \
	--nologfile --pidfile "$tmp/mb.pid"
MB_PID=$SPID
$PEERCTL wait -url "http://127.0.0.1:$P_MB/config" -timeout 60s
logged $PEERCTL setup -kind mountebank -url "http://127.0.0.1:$P_MB" -imposter "$P_MBI"
ms=$($PEERCTL wait -url "http://127.0.0.1:$P_MBI/api/static" -since "$T0" -timeout 60s)
row "mountebank,startup,,$ms,,,,,,ok"
MB=http://127.0.0.1:$P_MBI
expect "$MB/api/static" 200
expect "$MB/api/templated$TPL_QUERY" 200 "$AUTH"
expect "$MB/api/missing" 404
measure mountebank static 1 "$MB/api/static" "$MB_PID"
measure mountebank templated 1 "$MB/api/templated$TPL_QUERY" "$MB_PID" "$AUTH"
measure mountebank miss 0 "$MB/api/missing" "$MB_PID"
stalled=
for n in $STUB_COUNTS; do
	if [ -n "$stalled" ]; then
		row "mountebank,random,$n,0,0,0,0,0,0,skipped (stalled at $stalled)"
		continue
	fi
	# PUT /imposters replaces the imposter: every step sends all N stubs.
	if ! load mountebank 0 "$n" $PEERCTL stubs -kind mountebank -url "http://127.0.0.1:$P_MB" -imposter "$P_MBI" -to "$n"; then
		stalled=$n
		row "mountebank,random,$n,0,0,0,$(rss_kb "$MB_PID"),0,0,stalled (loading > ${LOAD_CAP} s)"
		continue
	fi
	expect "$MB/api/r$n" 200
	PREFIX=/api/r measure mountebank random "$n" "$MB" "$MB_PID"
done
stop_group "$MB_PID"

# ---- the report ----
ELAPSED=$(($(date +%s) - START_S))
GO_V=$(go version | awk '{print $3}')
JAVA_V=$( (java -version 2>&1 || true) | head -1 | sed 's/"//g')
NODE_V=$(node --version)
WRK_V=$( (wrk -v 2>&1 || true) | head -1 | awk '{print $1, $2}')
TABLE=$($PEERCTL table -in "$RESULTS")
SUMMARY=$($PEERCTL summary -in "$RESULTS")
[ -z "$OUT" ] || mkdir -p "$OUT"
"$ROOT/bin/bench-chart" -in "$RESULTS" -out "$PNG" \
	-subtitle "wrk -t$THREADS -c$CONC -d$DUR on $(nproc) cores, $(date -u +%Y-%m-%d); higher is better"

{
	echo "## Side by side with peer mock servers"
	echo
	echo "\`make bench-peers\` (\`bench/peers.sh\`), run on $(date -u +%Y-%m-%d): $(machine); load average"
	echo "(1, 5, 15 min) $LOAD_BEFORE just before the run. $GO_V, $JAVA_V, Node.js $NODE_V,"
	echo "WireMock $WIREMOCK_VERSION (npm \`wiremock\`, the standalone jar), Mountebank $MOUNTEBANK_VERSION (npm \`mountebank\`), $WRK_V."
	echo "Each server runs alone on loopback, on the same 2 cores as wrk (\`-t$THREADS -c$CONC --timeout $WRK_TIMEOUT\`,"
	echo "$WARMUP of warm-up, WireMock warm-ups of $JVM_WARM_ROUND, at least $JVM_WARM_MIN and then until two in a row agree within 5% (at most $JVM_WARM_MAX: its JIT"
	echo "speeds it up for many seconds), then one measured run of $DUR per case). The whole run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s."
	echo
	echo "Every figure is followed by its ratio to the bare Fiber handler (\`bench/bare\`, fixed bytes, no"
	echo "stubs): for the random-hit cases, to the bare handler under the same Lua script. For req/s a"
	echo "ratio below 1 is slower than the limit; for latencies, memory and start-up a ratio above 1 is"
	echo "worse. RSS is VmRSS of the server's processes right after the case (Mockarty \`/stubs\`: the"
	echo "host; the plugin rows: host + plugin). Non-2xx answers are expected for the miss case only;"
	echo "errors are wrk's socket errors (mostly its $WRK_TIMEOUT timeout)."
	echo
	echo "$SUMMARY"
	echo
	echo "$TABLE"
	echo
	echo "Start-up is the time from starting the process to the first 200 of the static stub, which the"
	echo "script creates through the server's API as soon as the API answers (ratio: to the bare handler's"
	echo "time to its first 200). Loading times are for the stubs added at that step, through"
	echo "\`POST /api/v1/mocks/batch\` in chunks of 5,000 (Mockarty), \`POST /__admin/mappings/import\` in"
	echo "chunks of 10,000 (WireMock), and one \`PUT /imposters\` with all the stubs (Mountebank, whose API"
	echo "replaces an imposter whole). A step that takes over $LOAD_CAP s is stopped and the server is"
	echo "recorded as stalled from there on."
	echo
	echo "![req/s against the number of stubs](bench-peers.png)"
	echo
	echo "What each server is given (\`bench/peerctl\`):"
	echo
	echo "- Static and N stubs: \`GET /api/static\` and \`GET /api/r<i>\`, each answering"
	echo "  \`$STATIC\` as \`application/json\`. Mockarty: a route per mock; WireMock: \`url\` equality;"
	echo "  Mountebank: an \`equals\` predicate on method and path, stubs in order (first match wins)."
	echo "- Templated: the mock of \`bench/stubs.sh\` for Mockarty (a \`matches\` header condition on"
	echo "  \`Authorization\`, two \`equals\` query conditions, fakers \`UUID\`, \`FirstName\`, \`Email\` and the"
	echo "  query's \`limit\` echoed). WireMock: \`urlPath\` with a \`matches\` header matcher and two"
	echo "  \`equalTo\` query matchers; the body is a response template with \`{{randomValue type='UUID'}}\`,"
	echo "  \`{{pickRandom ...}}\` over six first names, a \`randomValue\` e-mail and \`{{request.query.limit}}\`"
	echo "  (the standalone jar has no faker; these helpers are its closest equivalent). Mountebank: an"
	echo "  \`equals\` predicate on method, path and query and a \`matches\` predicate on the header, answered"
	echo "  by an \`inject\` function (\`--allowInjection\`) that builds the same fields with \`Math.random\` and"
	echo "  copies \`limit\` from the query: Mountebank has no faker, and a \`copy\` behaviour can echo the"
	echo "  query but not make random values."
	echo "- Miss: \`GET /api/missing\` with only the static and the templated stub loaded. Mockarty answers"
	echo "  404 and records the request as undefined; WireMock answers 404 with its near-miss report;"
	echo "  Mountebank answers the imposter's \`defaultResponse\`, set to a 404."
	echo "- Settings: Mockarty \`LOG_LEVEL=warn AUTH_MODE=local\`, embedded SQLite, request logs on (its"
	echo "  default); WireMock \`--no-request-journal --disable-request-logging\` (its own advice for load"
	echo "  tests), JVM defaults; Mountebank \`--loglevel warn --nologfile\`, \`recordRequests: false\`, and a"
	echo "  \`Connection: keep-alive\` header on every response (it closes the connection otherwise)."
	echo
	echo "Commands as run:"
	echo
	echo '```sh'
	if [ "$QUICK" = 1 ]; then echo "bench/peers.sh quick"; else echo "make bench-peers    # bench/peers.sh $DUR"; fi
	echo "# the servers, one at a time (\$TMP: a temporary folder; \$PEERS_DIR: $(echo "$PEERS_DIR" | sed "s#^$HOME#~#"))"
	sed "s#$tmp#\$TMP#g; s#$PEERS_DIR#\$PEERS_DIR#g; s#$ROOT/##g" "$tmp/commands"
	echo "# the stubs (bin/bench-peerctl is bench/peerctl)"
	sed "s#$ROOT/##g" "$tmp/load-commands"
	echo "# the load: each command first runs for $WARMUP as a warm-up without --latency"
	echo "# (WireMock: in rounds of $JVM_WARM_ROUND, at least $JVM_WARM_MIN, until two agree within 5%, at most $JVM_WARM_MAX)"
	awk '!seen[$0]++' "$tmp/wrk-commands"
	echo '```'
	echo
	echo "A single run on a shared 2-core virtual machine: figures move by about ±10% from run to run, as"
	echo "in the sections above; the ratios and the shape of the curves are the result, not the last digit."
} >"$tmp/section.md"

if [ "$DOC" = "$ROOT/docs/benchmarks.md" ]; then
	# Replace the section (up to the next "## " heading) or append it.
	awk -v f="$tmp/section.md" '
		function emit() { while ((getline l < f) > 0) print l; printed = 1 }
		/^## Side by side with peer mock servers/ { skip = 1; emit(); next }
		skip && /^## / { skip = 0; print ""; }
		!skip { print }
		END { if (!printed) { print ""; emit() } }' "$DOC" >"$tmp/doc.md"
	cat "$tmp/doc.md" >"$DOC"
else
	cp "$tmp/section.md" "$DOC"
fi
if [ -n "$OUT" ]; then
	mkdir -p "$OUT"
	cp "$RESULTS" "$tmp"/wrk-*.txt "$tmp/answers" "$tmp/section.md" "$OUT/" 2>/dev/null || true
fi
log "wrote $DOC and $PNG"
echo
echo "$TABLE"
echo
echo "whole run: $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
