#!/usr/bin/env bash
# bench/load.sh [DURATION_S]: the bounded load test.
#
# Starts citemap on a fresh database (the bundled data plus a synthetic layer
# of $SYNTH_N features), lists what it serves (bench/urls: layers, items with
# random bboxes, features, sources, passages, tiles and embed/static pages when
# those routes answer) and runs wrk with bench/mixed.lua: $CONNS connections of
# mixed reads for DURATION_S seconds (default 60) on 127.0.0.1. Prints requests,
# errors (status >= 400 and socket errors), latency p50/p99/p99.9 and the
# server's peak RSS sampled every 0.5 s.
#
# Exits non-zero on any error, when peak RSS exceeds $RSS_BOUND_MIB (512) or
# when p99 latency exceeds $P99_BOUND_MS (2000: ten times the p99 of a quiet
# 60 s run, so a shared 2-core CI machine passes and a route that rebuilds
# its data per request does not).
#
#   bench/load.sh        # 60 s, `make bench`
#   bench/load.sh 10     # the short version for `make test`
#
# Environment: MAPSERVER (prebuilt binary; default: build ./cmd/mapserver),
# CONNS (64), THREADS (2), RSS_BOUND_MIB (512), P99_BOUND_MS (2000), SYNTH_N (21500, 0 for none),
# SYNTH_KIND (points: a layer holds one geometry type; polygons is the heavier load), URLS_OPTIONAL (bench/optional-urls.txt), KEEP=1 keeps
# the work directory.
set -euo pipefail

DURATION=${1:-60}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
RSS_BOUND_MIB=${RSS_BOUND_MIB:-512}
P99_BOUND_MS=${P99_BOUND_MS:-2000}
# The server holds the bound itself: Go's soft memory limit (GOMEMLIMIT) at
# three quarters of it makes the collector work harder before RSS gets there.
export GOMEMLIMIT=${GOMEMLIMIT:-$((RSS_BOUND_MIB * 3 / 4))MiB}
SYNTH_N=${SYNTH_N:-21500}
SYNTH_KIND=${SYNTH_KIND:-points}

# Bounded: the whole script, setup included, stops after DURATION + 240 s.
if [[ -z "${BENCH_BOUNDED:-}" ]]; then
	export BENCH_BOUNDED=1
	exec timeout -k 10 "$((DURATION + 240))" "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
URLS_OPTIONAL=${URLS_OPTIONAL:-$BENCH_DIR/optional-urls.txt}

trap bench_cleanup EXIT
trap 'exit 143' TERM INT

apt_need wrk curl procps || true
command -v wrk >/dev/null || { log "wrk is not installed (Debian package wrk)"; exit 1; }

BENCH_WORK=$(mktemp -d /tmp/citemap-load.XXXXXX)
build_mapserver

DB="$BENCH_WORK/load.db"
init_db "$DB"
if ((SYNTH_N > 0)); then
	log "importing a synthetic $SYNTH_KIND layer of $SYNTH_N features"
	import_synth "$SYNTH_N" "$SYNTH_KIND" synthetic "$DB"
fi

start_mapserver "$DB" "$BENCH_WORK/server.log"
BASE="http://127.0.0.1:$CM_PORT"
log "citemap pid $CM_PID on $BASE"

(cd "$REPO" && go run ./bench/urls -base "$BASE" -optional "$URLS_OPTIONAL" -o "$BENCH_WORK/urls.txt")
npaths=$(grep -vc '^#' "$BENCH_WORK/urls.txt")
idle_kib=$(rss_kib "$CM_PID")

sample_rss "$CM_PID" "$BENCH_WORK/peak_rss"
log "wrk -t$THREADS -c$CONNS -d${DURATION}s over $(sort -u "$BENCH_WORK/urls.txt" | grep -vc '^#') distinct paths"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
	-s "$BENCH_DIR/mixed.lua" "$BASE" -- "$BENCH_WORK/urls.txt" 1 >"$BENCH_WORK/wrk.out" 2>&1 || {
	cat "$BENCH_WORK/wrk.out" >&2
	exit 1
}
sleep 0.6 # one more RSS sample
kill "$SAMPLER_PID" 2>/dev/null || true

res=$(grep '^RESULT' "$BENCH_WORK/wrk.out")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$res"; }
requests=$(field requests)
status_errors=$(field status_errors)
socket_errors=$(field socket_errors)
peak_kib=$(cat "$BENCH_WORK/peak_rss" 2>/dev/null || echo 0)
peak_mib=$((peak_kib / 1024))
server_errors=$(grep -c 'level=ERROR' "$BENCH_WORK/server.log" || true)
if ! kill -0 "$CM_PID" 2>/dev/null; then
	log "citemap died during the load:"
	tail -20 "$BENCH_WORK/server.log" >&2
	exit 1
fi

cat <<EOF

## citemap load test: ${DURATION}s, $CONNS connections, mixed reads

$(machine_info)
- data: bundled layers + synthetic $SYNTH_KIND layer of $SYNTH_N features (${SYNTH_CLAIMS:-none}); $npaths weighted paths
$(grep '^#' "$BENCH_WORK/urls.txt" | sed 's/^# /  - /')

| measure | value |
|---|---|
| requests | $requests ($(field rps) req/s) |
| errors (status >= 400) | $status_errors |
| socket errors / timeouts (10 s) | $socket_errors / $(field timeouts) |
| latency p50 / p99 / p99.9 / max | $(field p50_ms) / $(field p99_ms) / $(field p999_ms) / $(field max_ms) ms (p99 bound $P99_BOUND_MS ms) |
| server RSS idle before / peak during | $((idle_kib / 1024)) / $peak_mib MiB (bound $RSS_BOUND_MIB MiB) |
| server log lines at level=ERROR | $server_errors |

requests sent per route: $(grep '^ROUTE' "$BENCH_WORK/wrk.out" | sed 's/ROUTE //; s/ sent=/=/' | sort | paste -sd' ')
EOF
# The server logs every request with its status: name the failing routes.
failing=$(awk '/msg=request/ {
		p = ""; st = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^path=/) p = substr($i, 6)
			if ($i ~ /^status=/) st = substr($i, 8)
		}
		if (st + 0 >= 400) { split(p, a, "/"); n["/" a[2] " " st]++ }
	} END { for (k in n) printf "%s: %d; ", k, n[k] }' "$BENCH_WORK/server.log")
if [[ -n "$failing" ]]; then echo "responses >= 400 in the server log, by route and status: $failing"; fi
{ grep 'level=ERROR' "$BENCH_WORK/server.log" || true; } | sed 's/^time=[^ ]* //' | cut -c1-200 | sort | uniq -c | sort -rn | head -5 | sed 's/^/server log: /'

fail=0
if ((status_errors + socket_errors > 0)); then
	echo "FAIL: $status_errors status errors, $socket_errors socket errors"
	fail=1
fi
if ((peak_mib > RSS_BOUND_MIB)); then
	echo "FAIL: peak RSS $peak_mib MiB over the bound $RSS_BOUND_MIB MiB"
	fail=1
fi
p99=$(field p99_ms)
if [[ -z "$p99" ]] || ! awk -v p="$p99" -v b="$P99_BOUND_MS" 'BEGIN { exit !(p + 0 <= b + 0) }'; then
	echo "FAIL: p99 latency ${p99:-unknown} ms over the bound $P99_BOUND_MS ms"
	fail=1
fi
((fail)) || echo "PASS: 0 errors, peak RSS $peak_mib MiB <= $RSS_BOUND_MIB MiB, p99 $p99 ms <= $P99_BOUND_MS ms"
exit "$fail"
