#!/usr/bin/env bash
# bench/drafts.sh: an editor's drafts in the 1M layer, through HTTP.
#
# Imports the bundled data and $N (1,000,000) synthetic polygons as layer
# syn1m (bench/gen, cached as run.sh caches it), adds an editor, starts
# `mapserver serve`, waits for its start-up warming (the log's "layers
# ready"; at most 30 s), then, as the editor:
#   1. POSTs a new polygon into syn1m (a draft: the write side checks it
#      against the layer's geometry class);
#   2. reads the first items page (limit=10) and a bbox page (limit=200)
#      around the draft: both must hold it, laid over the stored layer;
# then a reviewer publishes the changeset, and an anonymous reader's bbox
# page must hold the feature.
# Prints each request's time and the server's RSS (VmRSS, VmHWM) after it.
# Fails on any status but 201/200, a page without the feature, or a peak
# RSS over $MAX_RSS_MIB (300).
#
#   bench/drafts.sh
#
# Environment: MAPSERVER (prebuilt binary), N, MAX_RSS_MIB, KEEP=1 keeps
# the work directory.
set -euo pipefail

N=${N:-1000000}
MAX_RSS_MIB=${MAX_RSS_MIB:-300}

# Bounded: the import (about a minute at 1M here) and the requests.
if [[ -z "${BENCH_BOUNDED:-}" ]]; then
	export BENCH_BOUNDED=1
	exec timeout -k 10 900 "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 143' TERM INT

BENCH_WORK=$(mktemp -d /tmp/citemap-drafts.XXXXXX)
build_mapserver
DB="$BENCH_WORK/drafts.db"
init_db "$DB"
log "importing $N polygons as syn1m"
IMPORT_TIMEOUT_S=600 import_synth "$N" polygons syn1m "$DB"
token=$("$MAPSERVER" user add drafter --role editor --db "$DB" | tail -1)
reviewer=$("$MAPSERVER" user add publisher --role reviewer --db "$DB" | tail -1)
start_mapserver "$DB" "$BENCH_WORK/server.log"
BASE="http://127.0.0.1:$CM_PORT"
for ((i = 0; i < 3000; i++)); do
	grep -q 'msg="layers ready"' "$BENCH_WORK/server.log" && break
	sleep 0.01
done

rss() { awk '/^VmRSS|^VmHWM/{printf "%s %d MiB  ", $1, $2/1024}' "/proc/$CM_PID/status"; }
hwm_mib() { awk '/^VmHWM/{print int($2/1024)}' "/proc/$CM_PID/status"; }
log "started: $(rss)"
fail=0

read -r code secs < <(curl -s -o "$BENCH_WORK/post.out" -w '%{http_code} %{time_total}\n' --max-time 120 \
	-X POST "$BASE/collections/syn1m/items" -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
	--data '{"type":"Feature","id":"drafted-1","geometry":{"type":"Polygon","coordinates":[[[44.01,40.01],[44.02,40.01],[44.02,40.02],[44.01,40.01]]]},"properties":{"name":"drafted one","claims":[{"passage":"'"$SYNTH_PASSAGE"'","aspect":"existence","relation":"supports","basis":"explicit"}]}}')
echo "RESULT post_draft status=$code seconds=$secs $(rss)"
[[ $code == 201 ]] || { log "POST: $code $(head -c 300 "$BENCH_WORK/post.out")"; fail=1; }

for q in 'limit=10' 'limit=200&bbox=44,40,44.05,40.05'; do
	read -r code secs < <(curl -s -o "$BENCH_WORK/items.out" -w '%{http_code} %{time_total}\n' --max-time 120 \
		"$BASE/collections/syn1m/items?$q" -H "Authorization: Bearer $token")
	matched=$(grep -o '"numberMatched":[0-9]*' "$BENCH_WORK/items.out" | cut -d: -f2)
	echo "RESULT items?$q status=$code seconds=$secs matched=$matched $(rss)"
	[[ $code == 200 ]] || { log "items?$q: $code"; fail=1; }
	grep -q '"drafted one"' "$BENCH_WORK/items.out" || { log "items?$q: the draft is not in the page"; fail=1; }
done

cs=$(grep -o '"changeset":[0-9]*' "$BENCH_WORK/post.out" | cut -d: -f2)
read -r code secs < <(curl -s -o "$BENCH_WORK/publish.out" -w '%{http_code} %{time_total}\n' --max-time 120 \
	-X POST "$BASE/changesets/$cs/publish" -H "Authorization: Bearer $reviewer" -H 'Content-Type: application/json' --data '{"message":"drafts.sh"}')
echo "RESULT publish status=$code seconds=$secs $(rss)"
[[ $code == 200 ]] || { log "publish: $code $(head -c 300 "$BENCH_WORK/publish.out")"; fail=1; }
read -r code secs < <(curl -s -o "$BENCH_WORK/items.out" -w '%{http_code} %{time_total}\n' --max-time 120 \
	"$BASE/collections/syn1m/items?limit=200&bbox=44,40,44.05,40.05")
echo "RESULT published_items status=$code seconds=$secs $(rss)"
grep -q '"drafted one"' "$BENCH_WORK/items.out" || { log "the published feature is not in the reader's page"; fail=1; }

peak=$(hwm_mib)
if ((peak > MAX_RSS_MIB)); then
	log "FAIL: peak RSS $peak MiB > $MAX_RSS_MIB MiB"
	fail=1
fi
((fail)) && exit 1
log "PASS: peak RSS $peak MiB <= $MAX_RSS_MIB MiB"
