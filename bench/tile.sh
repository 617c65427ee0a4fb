#!/usr/bin/env bash
# bench/tile.sh: the cached-tile row of the 1M table alone, quickly, with
# more rounds than run.sh gives it: citemap answering a tile it has already
# encoded against nginx serving the same bytes (gzip_static), interleaved.
#
#   bench/tile.sh                          # ROUNDS=8 DURATION=5
#   MAPSERVER_REF=/tmp/ms-old bench/tile.sh   # also an earlier build, same rounds
#   PERF=1 bench/tile.sh                   # also a perf profile of citemap under wrk
#
# What it does: imports syn21k (bench/gen, seed 1) into a database holding the
# bundled data (or uses REUSE_DB), starts citemap (and MAPSERVER_REF's build on
# a copy of the database), asks each for the tile once so it is cached, copies
# the gzip bytes citemap sent into a directory nginx serves, checks that every
# server sends the same body bytes, then runs `wrk -tTHREADS -cCONNS
# -dDURATION -H 'Accept-Encoding: gzip'` against each server in turn, ROUNDS
# rounds, the order reversed every other round. It prints the median
# requests/s of each server, the ratio to nginx of each round and of the
# medians, bytes per response and the load average before and after.
#
# Bounded: the whole script by TILE_BENCH_TIMEOUT (900 s), each wrk call by
# -d; everything on 127.0.0.1, killed by pid on exit.
set -euo pipefail

if [[ -z "${TILE_BENCH_INNER:-}" ]]; then
	export TILE_BENCH_INNER=1
	exec timeout -k 15 "${TILE_BENCH_TIMEOUT:-900}" "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'log "stopped (timeout or signal)"; exit 143' TERM INT

ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
apt_need wrk nginx-light curl procps time
BENCH_WORK=$(mktemp -d /tmp/citemap-tile-bench.XXXXXX)
chmod 755 "$BENCH_WORK"
build_mapserver

DB="$BENCH_WORK/t.db"
if [[ -n "${REUSE_DB:-}" ]]; then
	cp "$REUSE_DB" "$DB"
else
	init_db "$DB"
	log "import syn21k"
	import_synth 21500 polygons syn21k "$DB"
fi
TILE="8/$(lon2x 44.1 8)/$(lat2y 41.1 8)"
P="/tiles/syn21k/$TILE.mvt"

# Servers, in the order of the first round.
NAMES=() URLS=() PIDS=()
start_mapserver "$DB" "$BENCH_WORK/citemap.log"
NAMES+=(citemap) URLS+=("http://127.0.0.1:$CM_PORT$P") PIDS+=("$CM_PID")
CM_MAIN_PID=$CM_PID
if [[ -n "${MAPSERVER_REF:-}" ]]; then
	cp "$DB" "$BENCH_WORK/ref.db"
	MAPSERVER=$MAPSERVER_REF start_mapserver "$BENCH_WORK/ref.db" "$BENCH_WORK/ref.log"
	NAMES+=(citemap-ref) URLS+=("http://127.0.0.1:$CM_PORT$P") PIDS+=("$CM_PID")
fi
for u in "${URLS[@]}"; do curl -sf -o /dev/null "$u"; done # now cached

WWW="$BENCH_WORK/www"
mkdir -p "$WWW"
curl -sf -H 'Accept-Encoding: gzip' -o "$WWW/tile.mvt.gz" "${URLS[0]}"
gzip -dc "$WWW/tile.mvt.gz" >"$WWW/tile.mvt"
start_nginx "$WWW"
NAMES+=(nginx) URLS+=("$NGINX/tile.mvt") PIDS+=("$(cat "$BENCH_WORK/nginx.pid")")

# Same bytes: every server's gzip body equals the file nginx serves.
for i in "${!URLS[@]}"; do
	curl -sf -H 'Accept-Encoding: gzip' -o "$BENCH_WORK/check" "${URLS[$i]}"
	cmp -s "$BENCH_WORK/check" "$WWW/tile.mvt.gz" || { log "${NAMES[$i]} sent other bytes than nginx serves"; exit 1; }
	printf '%-12s body %s bytes gzip, headers %s bytes\n' "${NAMES[$i]}" "$(stat -c %s "$BENCH_WORK/check")" \
		"$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_header}' "${URLS[$i]}")"
done

# cpu_ticks PID: user and system clock ticks of PID and its children
# (nginx's workers), so each run also gives the server's CPU per request,
# which other work on the machine disturbs far less than requests/s.
cpu_ticks() {
	local p u=0 s=0 a b
	for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
		read -r a b < <(awk '{print $14, $15}' "/proc/$p/stat" 2>/dev/null || echo 0 0)
		u=$((u + a)) s=$((s + b))
	done
	echo "$u $s"
}
TICK=$(getconf CLK_TCK)
# idle_ticks: the machine's idle and iowait clock ticks, all cores.
idle_ticks() { awk '/^cpu /{print $5 + $6}' /proc/stat; }
# The servers have started: wait for citemap's layers to be ready, so the
# rounds measure requests, not its warming.
for ((i = 0; i < 3000; i++)); do
	grep -q 'msg="layers ready"' "$BENCH_WORK/citemap.log" && break
	sleep 0.02
done
if [[ "${PERF:-0}" == 1 ]] && command -v perf >/dev/null; then
	log "perf profile of citemap under wrk ($DURATION s)"
	perf record -F 999 -g -o "$BENCH_WORK/perf.data" -p "$CM_MAIN_PID" -- sleep "$DURATION" >/dev/null 2>&1 &
	pp=$!
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -H 'Accept-Encoding: gzip' "${URLS[0]}" >/dev/null
	wait "$pp" || true
	perf report -i "$BENCH_WORK/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' | head -40 || true
fi
OUT="$BENCH_WORK/results.tsv"
: >"$OUT"
LOAD_START=$(loadavg)
n=${#NAMES[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	order=$(seq 0 $((n - 1)))
	((r % 2 == 0)) && order=$(seq $((n - 1)) -1 0)
	for i in $order; do
		read -r u0 s0 < <(cpu_ticks "${PIDS[$i]}")
		i0=$(idle_ticks)
		line=$(timeout $((DURATION + 30)) /usr/bin/time -f 'WRKCPU %U %S' wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
			-H 'Accept-Encoding: gzip' -s "$BENCH_DIR/report.lua" "${URLS[$i]}" 2>&1 | grep '^RESULT\|^WRKCPU' | tr '\n' ' ' || true)
		i1=$(idle_ticks)
		read -r u1 s1 < <(cpu_ticks "${PIDS[$i]}")
		line="$line idle_ticks=$((i1 - i0))"
		printf '%s\t%s\t%s user_ticks=%s sys_ticks=%s\n' "${NAMES[$i]}" "$r" "$line" $((u1 - u0)) $((s1 - s0)) >>"$OUT"
	done
done
LOAD_END=$(loadavg)

field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
med() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
echo
echo "cached tile $P ($(stat -c %s "$WWW/tile.mvt.gz") bytes gzip), wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS interleaved rounds; load average $LOAD_START -> $LOAD_END; citemap $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet || echo '+changes')"
echo
echo "| server | req/s median | req/s per round | bytes/resp | errors | vs nginx (median) | vs nginx per round | server CPU µs/req (user + system) | wrk CPU µs/req | idle CPU µs/req |"
echo "|---|---:|---|---:|---:|---:|---|---|---:|---:|"
ng=$(awk -F'\t' '$1=="nginx"{print $3}' "$OUT" | field rps | med)
for s in "${NAMES[@]}"; do
	rows=$(awk -F'\t' -v s="$s" '$1==s{print $3}' "$OUT")
	m=$(field rps <<<"$rows" | med)
	per=$(field rps <<<"$rows" | awk '{printf "%s%.0f", (NR>1 ? " " : ""), $1}')
	bpr=$(awk '{ if (match($0, / requests=[0-9]+/)) r+=substr($0, RSTART+10, RLENGTH-10); if (match($0, / bytes=[0-9]+/)) b+=substr($0, RSTART+7, RLENGTH-7) } END{ if (r) printf "%.0f", b/r }' <<<"$rows")
	errs=$(awk '{ for (i=1;i<=NF;i++) if ($i ~ /_errors=/) { split($i, a, "="); e+=a[2] } } END{print e+0}' <<<"$rows")
	# Per round: this server's rate over nginx's in the same round.
	pr=$(for ((r = 1; r <= ROUNDS; r++)); do
		a=$(awk -F'\t' -v s="$s" -v r="$r" '$1==s && $2==r{print $3}' "$OUT" | field rps)
		b=$(awk -F'\t' -v r="$r" '$1=="nginx" && $2==r{print $3}' "$OUT" | field rps)
		awk -v a="$a" -v b="$b" 'BEGIN{ if (b>0) printf "%.2f ", a/b }'
	done)
	# CPU over all rounds: ticks over requests.
	cpu=$(awk -v t="$TICK" '{ for (i=1;i<=NF;i++) { split($i, a, "="); if (a[1]=="requests") r+=a[2]; if (a[1]=="user_ticks") u+=a[2]; if (a[1]=="sys_ticks") s+=a[2] } } END{ if (r) printf "%.1f (%.1f + %.1f)", (u+s)/t*1e6/r, u/t*1e6/r, s/t*1e6/r }' <<<"$rows")
	# The client's CPU (wrk, user + system) and the machine's idle time, per
	# request: with server and client on two cores, a server's rate depends
	# on what the client spends and on the time neither uses, not only on
	# the server's CPU.
	wcpu=$(awk '{ for (i=1;i<=NF;i++) { split($i, a, "="); if (a[1]=="requests") r+=a[2]; if ($i=="WRKCPU") w+=$(i+1)+$(i+2) } } END{ if (r) printf "%.1f", w*1e6/r }' <<<"$rows")
	idl=$(awk -v t="$TICK" '{ for (i=1;i<=NF;i++) { split($i, a, "="); if (a[1]=="requests") r+=a[2]; if (a[1]=="idle_ticks") d+=a[2] } } END{ if (r) printf "%.1f", d/t*1e6/r }' <<<"$rows")
	echo "| $s | $m | $per | $bpr | $errs | $(awk -v a="$m" -v b="$ng" 'BEGIN{ if (b>0) printf "%.2f", a/b }')× | ${pr% } | $cpu | $wcpu | $idl |"
done
