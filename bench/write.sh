#!/usr/bin/env bash
# bench/write.sh [DURATION_S]: read latency while editors write.
#
# Starts citemap on a fresh database with the bundled data, adds $USERS
# editors while it runs (through its control socket, as `mapserver user add`
# does), gives each $FEATURES draft features of their own, then runs
# bench/writeload twice over the same paths bench/urls lists, for
# DURATION_S seconds each (default 60), $CONNS connections (64):
#   1. reads only;
#   2. 95 % reads, 5 % writes (PATCH by the editors, half of them with
#      If-Match: the last ETag seen for the feature).
# Prints both RESULT lines and the ratio of the read p99s. Exits non-zero on
# any error (412s excepted: a PATCH that lost a race on its feature's ETag
# gets one, as it should) or when the mixed read p99 is over $MAX_RATIO (2)
# times the read-only one.
#
#   bench/write.sh       # 60 s per run
#   bench/write.sh 10    # short
#
# Environment: MAPSERVER (prebuilt binary), CONNS (64), USERS (4),
# FEATURES (5), MAX_RATIO (2), KEEP=1 keeps the work directory.
set -euo pipefail

DURATION=${1:-60}
CONNS=${CONNS:-64}
USERS=${USERS:-4}
FEATURES=${FEATURES:-5}
MAX_RATIO=${MAX_RATIO:-2}

# Bounded: the whole script stops after two runs + 240 s.
if [[ -z "${BENCH_BOUNDED:-}" ]]; then
	export BENCH_BOUNDED=1
	exec timeout -k 10 "$((2 * DURATION + 240))" "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 143' TERM INT

BENCH_WORK=$(mktemp -d /tmp/citemap-write.XXXXXX)
build_mapserver
DB="$BENCH_WORK/write.db"
init_db "$DB"
start_mapserver "$DB" "$BENCH_WORK/server.log"
BASE="http://127.0.0.1:$CM_PORT"
log "citemap pid $CM_PID on $BASE"

(cd "$REPO" && go run ./bench/urls -base "$BASE" -optional "$BENCH_DIR/optional-urls.txt" -o "$BENCH_WORK/urls.txt")
(cd "$REPO" && go build -o "$BENCH_WORK/writeload" ./bench/writeload)

: >"$BENCH_WORK/users.txt"
for ((i = 1; i <= USERS; i++)); do
	token=$("$MAPSERVER" user add "load$i" --role editor --db "$DB" | tail -1)
	for ((j = 1; j <= FEATURES; j++)); do
		id="load-$i-$j"
		code=$(curl -s -o "$BENCH_WORK/create.out" -w '%{http_code}' --max-time 30 -X POST "$BASE/collections/bases/items" \
			-H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
			--data "{\"type\":\"Feature\",\"id\":\"$id\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[44.$i$j,40.$j$i]},\"properties\":{\"name\":\"load $i $j\",\"claims\":[{\"passage\":\"p004-06\",\"aspect\":\"existence\",\"relation\":\"supports\",\"basis\":\"explicit\"}]}}")
		[[ $code == 201 ]] || { log "creating $id: $code"; cat "$BENCH_WORK/create.out" >&2; exit 1; }
		echo "$token /collections/bases/items/$id" >>"$BENCH_WORK/users.txt"
	done
done
log "$USERS editors with $FEATURES draft features each"

run_load() { # NAME WRITE_SHARE
	log "$1: ${DURATION}s, $CONNS connections, write share $2"
	"$BENCH_WORK/writeload" -base "$BASE" -urls "$BENCH_WORK/urls.txt" -users "$BENCH_WORK/users.txt" \
		-write "$2" -conns "$CONNS" -d "${DURATION}s" >"$BENCH_WORK/$1.out" 2>"$BENCH_WORK/$1.err" || true
	cat "$BENCH_WORK/$1.err" >&2
	grep '^RESULT' "$BENCH_WORK/$1.out" || { log "$1: no result"; exit 1; }
}
# A first read-only pass fills the server's caches, so the two measured
# runs start alike.
DURATION_MEASURED=$DURATION
DURATION=$((DURATION < 10 ? DURATION : 10))
run_load warm-up 0 >/dev/null
DURATION=$DURATION_MEASURED
ro=$(run_load read-only 0)
mixed=$(run_load mixed 0.05)
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
echo "read-only: $ro"
echo "mixed:     $mixed"
ratio=$(awk -v a="$(field "$mixed" read_p99_ms)" -v b="$(field "$ro" read_p99_ms)" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
errors=$(($(field "$ro" read_errors) + $(field "$ro" socket_errors) + $(field "$mixed" read_errors) + $(field "$mixed" write_errors) + $(field "$mixed" socket_errors)))
echo "read p99 mixed / read-only: $ratio (bound $MAX_RATIO); errors: $errors; 412s: $(field "$mixed" stale_412)"
if grep -q 'level=ERROR' "$BENCH_WORK/server.log"; then
	log "the server logged errors:"
	grep 'level=ERROR' "$BENCH_WORK/server.log" | head -5 >&2
	exit 1
fi
((errors == 0)) || exit 1
awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN{exit !(r <= m)}' || { log "read p99 under writes is over $MAX_RATIO times the read-only one"; exit 1; }
