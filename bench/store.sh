#!/usr/bin/env bash
# bench/store.sh: the store's rows of the 1M table, in one run.
#
#   1. imports N1M (1 000 000) and 21 500 synthetic polygons into two databases;
#   2. start -> first bbox answer on the 1M database (exec to first 200);
#   3. RSS of that server after 300 random bbox queries (~100 features each);
#   4. bbox p50 at 1M and at 21.5k: ROUNDS interleaved rounds of wrk, one
#      connection, random bboxes holding ~100 features (bench/bbox.lua);
#   5. publish one feature into the 1M layer: the Go benchmark
#      BenchmarkPublishOneInto (layers/bolt) on the 1M database just served.
#
# REUSE_DB21=FILE REUSE_DB1M=FILE measure steps 2-5 on copies of databases
# an earlier run imported, without importing again.
#
# Bounded: the whole run by STORE_BENCH_TIMEOUT (3600 s), the 1M import by
# IMPORT_TIMEOUT (900 s), every wrk call by -d. Everything on 127.0.0.1; what
# it starts is killed by pid on exit. The load average is printed with every
# figure: the machine may be shared.
set -euo pipefail

if [[ -z "${STORE_BENCH_INNER:-}" ]]; then
	export STORE_BENCH_INNER=1
	exec timeout -k 15 "${STORE_BENCH_TIMEOUT:-3600}" "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'log "stopped (timeout or signal)"; exit 143' TERM INT

N1M=${N1M:-1000000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
KIND=polygons
apt_need wrk curl procps time
BENCH_WORK=$(mktemp -d /tmp/citemap-store-bench.XXXXXX)
build_mapserver

load() { cut -d' ' -f1-3 /proc/loadavg; }
report() { printf '%-44s %s   (load average %s)\n' "$1" "$2" "$(load)"; }

DB21="$BENCH_WORK/21k.db" DB1M="$BENCH_WORK/1m.db"
if [[ -n "${REUSE_DB21:-}" && -n "${REUSE_DB1M:-}" ]]; then
	# Databases imported by an earlier run (layers syn21k and syn1m), copied
	# so the publishes below do not change them: the import row is skipped.
	cp "$REUSE_DB21" "$DB21"
	cp "$REUSE_DB1M" "$DB1M"
	log "reusing $REUSE_DB21 and $REUSE_DB1M: no import row"
else
	init_db "$DB21"
	init_db "$DB1M"
	log "import syn21k (21500 $KIND)"
	import_synth 21500 "$KIND" syn21k "$DB21" "$BENCH_WORK/time-21k.txt"
	log "import syn1m ($N1M $KIND)"
	IMPORT_TIMEOUT_S=${IMPORT_TIMEOUT:-900} import_synth "$N1M" "$KIND" syn1m "$DB1M" "$BENCH_WORK/time-1m.txt"
	report "import $N1M" "$(elapsed_s "$BENCH_WORK/time-1m.txt") s ($(time_field "$BENCH_WORK/time-1m.txt" 'User time') s user, $(time_field "$BENCH_WORK/time-1m.txt" 'System time') s system), peak RSS $(($(time_field "$BENCH_WORK/time-1m.txt" 'Maximum resident') / 1024)) MiB, file $(($(stat -c %s "$DB1M") >> 20)) MiB"
fi

# The server starts on a file the machine has just written, as after an
# import: its pages may be in the page cache, not in the process.
t0=$(date +%s.%N)
start_mapserver "$DB1M" "$BENCH_WORK/1m.log"
# The side of a box that meets ~100 of n features: bench/gen's polygons
# are about 0.045° across (radius 0.005-0.05°) whatever n is, and a
# polygon meets the box when it comes within its extent of it, so the
# box shrinks by that extent (else a 1M box meets twice the features of a
# 21.5k one, and the ratio measures the answer's size).
side() { awk -v n="$1" 'BEGIN{printf "%.4f", sqrt(72*100/n) - 0.045}'; }
S1M=$(side "$N1M")
first=
for ((i = 0; i < 6000; i++)); do
	if [[ $(http_code "http://127.0.0.1:$CM_PORT/collections/syn1m/items?bbox=44,40,$(awk -v s="$S1M" 'BEGIN{printf "%.4f,%.4f", 44+s, 40+s}')") == 200 ]]; then
		first=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
		break
	fi
	sleep 0.01
done
report "start -> first bbox answer at 1M" "${first:-none within 60 s} s"
CM_1M_PID=$CM_PID CM_1M=http://127.0.0.1:$CM_PORT

# 300 random bboxes (fixed seed), each holding ~100 features.
awk -v s="$S1M" 'BEGIN{srand(7); for (i = 0; i < 300; i++) {x = 38 + rand()*(12-s); y = 38 + rand()*(6-s); printf "%.5f,%.5f,%.5f,%.5f\n", x, y, x+s, y+s}}' >"$BENCH_WORK/bboxes"
errors=0
while read -r bb; do
	[[ $(http_code -H 'Accept-Encoding: gzip' "$CM_1M/collections/syn1m/items?limit=200&bbox=$bb") == 200 ]] || errors=$((errors + 1))
done <"$BENCH_WORK/bboxes"
report "RSS after 300 random bbox queries at 1M" "$(($(rss_kib "$CM_1M_PID") / 1024)) MiB ($errors errors; $(grep -E '^(RssAnon|RssFile)' /proc/"$CM_1M_PID"/status | tr -s ' \n' ' '))"

start_mapserver "$DB21" "$BENCH_WORK/21k.log"
CM_21=http://127.0.0.1:$CM_PORT
curl -s -o /dev/null "$CM_21/collections/syn21k/items?limit=1"

# Interleaved rounds, the order reversed every other round.
declare -a P21 P1M
for ((r = 1; r <= ROUNDS; r++)); do
	order=(21 1m)
	((r % 2 == 0)) && order=(1m 21)
	for w in "${order[@]}"; do
		if [[ $w == 21 ]]; then
			out=$(wrk -t1 -c1 -d"${DURATION}s" -H 'Accept-Encoding: gzip' -s "$BENCH_DIR/bbox.lua" "$CM_21" -- "/collections/syn21k/items?limit=200" "$(side 21500)" "$r")
			P21+=("$(grep -o 'p50_ms=[0-9.]*' <<<"$out" | cut -d= -f2)")
		else
			out=$(wrk -t1 -c1 -d"${DURATION}s" -H 'Accept-Encoding: gzip' -s "$BENCH_DIR/bbox.lua" "$CM_1M" -- "/collections/syn1m/items?limit=200" "$S1M" "$r")
			P1M+=("$(grep -o 'p50_ms=[0-9.]*' <<<"$out" | cut -d= -f2)")
		fi
		grep -q 'status_errors=0 socket_errors=0' <<<"$out" || log "errors: $(grep RESULT <<<"$out")"
	done
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
m21=$(med "${P21[@]}") m1m=$(med "${P1M[@]}")
report "bbox p50 at 21.5k / at 1M (median of $ROUNDS)" "$m21 ms / $m1m ms = $(awk -v a="$m1m" -v b="$m21" 'BEGIN{printf "%.2f", a/b}')x (rounds 21.5k: ${P21[*]}; 1M: ${P1M[*]})"
report "RSS of the 1M server after the bbox rounds" "$(($(rss_kib "$CM_1M_PID") / 1024)) MiB"
stop_pid "$CM_1M_PID"

if [[ "${NO_PUBLISH:-0}" != 1 ]]; then
	log "BenchmarkPublishOneInto: one new polygon per publish into syn1m"
	out=$(cd "$REPO" && CITEMAP_BENCH_DB=$DB1M CITEMAP_BENCH_LAYER=syn1m go test -run '^$' -bench 'BenchmarkPublishOneInto$' -benchtime 50x -timeout 600s ./layers/bolt 2>&1) || { printf '%s\n' "$out" | tail -5 >&2; exit 1; }
	report "publish one feature into $N1M" "$(grep -E '^BenchmarkPublishOneInto' <<<"$out" | awk '{printf "%.1f ms/op over %s publishes", $3/1e6, $2}')"
fi
