#!/usr/bin/env bash
# bench/run.sh: citemap against what a user would pick instead, in one
# interleaved run on this machine, on 127.0.0.1 only.
#
#   bench/run.sh            # 1k, 21.5k and 100k features (about 8 minutes)
#   FULL=1 bench/run.sh     # also the 1M table, every row in this one run
#
# With FULL=1 the report opens with the seven rows of the 1M table (issue
# #14): import 1M (time, peak RSS); start -> first bbox answer; RSS after 300
# random bbox queries; uncached z6 tiles over the Caucasus at 1M (bytes, ms);
# bbox p50 at 1M vs at 21.5k; cached tile vs nginx (same bytes); publishing
# one feature into the 1M layer. pg_featureserv over PostGIS, holding the
# same 1M polygons, is measured beside it where the row applies (start ->
# first bbox answer, RSS after the same 300 queries, bbox p50), and each
# figure carries the load average of the minute it was taken.
#
# What it does (see bench/README.md for the why):
#   1. installs what is missing (Debian: wrk nginx-light time curl gdal-bin
#      postgresql-15-postgis-3) and builds citemap, pg_featureserv (from its Go
#      module) and, when the Go proxy has it, tegola;
#   2. generates the synthetic layers (bench/gen, seed 1, cached in $DATA_DIR)
#      and imports them, timing each import (/usr/bin/time -v);
#   3. measures idle RSS on the bundled data, start to first response, and
#      uncached z6 tiles (first request after start, curl);
#   4. copies citemap's responses into a directory served by nginx
#      (gzip_static), loads the 21.5k layer into PostGIS for pg_featureserv;
#   5. runs wrk for each workload against each server, interleaved: ROUNDS
#      rounds, each server once per round (order flipped every other round),
#      DURATION seconds per call, THREADS threads and CONNS connections;
#   6. prints the medians and the ratios against the targets as markdown (also
#      written to $RESULTS) and tears everything down.
#
# Environment: FULL=1, ROUNDS (5), DURATION (5), CONNS (64), THREADS (2),
# KIND (polygons: the geometry of the synthetic layers), MAPSERVER (prebuilt
# binary; default builds ./cmd/mapserver), DATA_DIR (/tmp/citemap-bench-data),
# RESULTS (/tmp/citemap-bench-results.md), BENCH_TIMEOUT (seconds; 1200, or
# 3600 with FULL=1), NO_PG=1 skips PostGIS, KEEP=1 keeps the work directory,
# N1M (1000000: the size of the "1M" layer; smaller for a quick try of the
# FULL path), IMPORT_TIMEOUT (900 s, the 1M import), PG_IMPORT_TIMEOUT (900 s,
# its load into PostGIS), PUBLISHES (50, into the 1M layer).
set -euo pipefail

FULL=${FULL:-0}
N1M=${N1M:-1000000}
PUBLISHES=${PUBLISHES:-50}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
KIND=${KIND:-polygons}
RESULTS=${RESULTS:-/tmp/citemap-bench-results.md}
if [[ -z "${BENCH_BOUNDED:-}" ]]; then
	export BENCH_BOUNDED=1
	t=${BENCH_TIMEOUT:-1200}
	[[ "$FULL" == 1 ]] && t=${BENCH_TIMEOUT:-3600}
	exec timeout -k 15 "$t" "$0" "$@"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
# On a timeout the figures taken so far are still reported (REPORT_READY is
# set once the servers and workloads are defined).
REPORT_READY=0
trap 'log "stopped (timeout or signal)"; if ((REPORT_READY)); then note "the run was stopped (timeout or signal) before its end: figures not taken show –"; report_all; fi; exit 143' TERM INT

apt_need wrk nginx-light time curl procps || true
for c in wrk nginx curl /usr/bin/time; do
	command -v "$c" >/dev/null || { log "missing $c"; exit 1; }
done

BENCH_WORK=$(mktemp -d /tmp/citemap-bench.XXXXXX)
chmod 755 "$BENCH_WORK" # nginx workers and postgres read below it
NOTES=()
note() { NOTES+=("$*"); log "note: $*"; }
# The commands behind the figures, for the report (paths shortened).
CMDS=()
cmd() { CMDS+=("$(sed -e "s#$BENCH_WORK#\$W#g" -e "s#${DATA_DIR:-/tmp/citemap-bench-data}#\$DATA#g" <<<"$*")"); }
# at KEY: remembers the load average when figure KEY was taken.
declare -A LA
at() { LA[$1]=$(loadavg); }
# facts: key -> value for the report
declare -A F

build_mapserver

# ---------------------------------------------------------------- report
# med WORKLOAD SERVER FIELD: the median of FIELD over the rounds.
med() {
	awk -F'\t' -v w="$1" -v s="$2" -v f="$3" '$1==w && $2==s { if (match($4, " " f "=[^ ]*")) print substr($4, RSTART+length(f)+2, RLENGTH-length(f)-2) }' "$OUT" |
		sort -g | awk '{a[NR]=$1} END{ if (NR==0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'
}
sumf() {
	awk -F'\t' -v w="$1" -v s="$2" -v f="$3" '$1==w && $2==s { if (match($4, " " f "=[^ ]*")) t+=substr($4, RSTART+length(f)+2, RLENGTH-length(f)-2) } END{print t+0}' "$OUT"
}
# mean_of "mean M, ...": M, or – when nothing was counted.
mean_of() { [[ "$1" == mean* ]] && awk '{print $2}' <<<"$1" | tr -d , || echo –; }
ratio() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b }' || true; }
# verdict VALUE OP LIMIT
verdict() {
	[[ -z "$1" ]] && { echo "not measured"; return; }
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN{ ok = (op==">=") ? v>=l : v<=l; print ok ? "**met**" : "**not met**" }'
}
range() {
	awk -F'\t' -v w="$1" -v s="$2" '$1==w && $2==s { match($4, /rps=[^ ]*/); v=substr($4, RSTART+4, RLENGTH-4)+0; if (n==0||v<lo) lo=v; if (n==0||v>hi) hi=v; n++ } END{ if (n) printf "%.0f–%.0f (%d)", lo, hi, n }' "$OUT"
}

report_all() {
	{
	echo "## citemap bench: $(date -u +%Y-%m-%d)"
		echo
		machine_info
		echo "- command: FULL=$FULL N1M=$N1M ROUNDS=$ROUNDS DURATION=$DURATION bench/run.sh, at nice $(nice)"
		echo "- load average (1 min) at start / end of the wrk rounds: $LOAD_START / $(cut -d' ' -f1 /proc/loadavg) (other work on the machine adds noise; interleaving spreads it over every server)"
		echo "- run: ROUNDS=$ROUNDS × ${DURATION}s per server and workload, interleaved; wrk -t$THREADS -c$CONNS (bbox1: -t1 -c1), Accept-Encoding: gzip; FULL=$FULL; layers: $KIND, seed $SYNTH_SEED, imported ${F[claims]} (plain GeoJSON, or citing $SYNTH_PASSAGE when plain is refused)"
		echo "- peers: nginx $(nginx -v 2>&1 | sed 's/.*\///') (gzip_static, same bytes); pg_featureserv: $(if [[ -n "$PGFS" ]]; then echo "$PGFS_VER (DbPoolMaxConns 4, its default; restarted before each of its $PGFS_RESTARTS runs: it hangs once clients drop queued requests)"; else echo not run; fi); PostGIS: $([[ $HAVE_PG == 1 ]] && "${PSQL[@]}" -tAc 'SELECT postgis_lib_version()' bench || echo not run); tegola: ${TEGOLA:-not run}"
		echo
		echo "### Throughput (medians over rounds)"
		echo
		echo "| workload | server | req/s | p50 ms | p99 ms | bytes/resp | errors | req/s min–max (rounds) |"
		echo "|---|---|---:|---:|---:|---:|---:|---|"
		for i in $(seq 0 $((n - 1))); do
			IFS='|' read -r wl srv _ _ <<<"${W[$i]}"
			reqs=$(sumf "$wl" "$srv" requests)
			bytes=$(sumf "$wl" "$srv" bytes)
			errs=$(($(sumf "$wl" "$srv" status_errors) + $(sumf "$wl" "$srv" socket_errors)))
			bpr=$(awk -v b="$bytes" -v r="$reqs" 'BEGIN{ if (r>0) printf "%.0f", b/r }')
			echo "| $wl | $srv | $(med "$wl" "$srv" rps) | $(med "$wl" "$srv" p50_ms) | $(med "$wl" "$srv" p99_ms) | $bpr | $errs | $(range "$wl" "$srv") |"
		done
		echo
		echo "bytes/resp is bytes read over requests completed: headers included, and for the 2.5 MB whole layer also the part read of requests cut off at the end. whole = /layers/syn21k.geojson; items = bbox $ITEMS_BBOX, limit 200, ${F[items_returned]:-?} features returned; feature = $FEATURE_ID; tile = syn21k $TILE; bbox1 = random bboxes holding ~100 features, one connection."
		echo
		echo "### The 1M table"
		echo
		if ((HAVE_1M)); then
			echo "One run, $N1M $KIND (syn1m) beside 21.5k (syn21k); load average (1, 5, 15 min) when each figure was taken. pg_featureserv serves the same $N1M polygons from PostGIS$( ((PG_1M)) || echo ' (**not loaded**: see the notes)')."
		else
			echo "FULL=1 not set (or the 1M import failed): the rows at 1M are not measured in this run."
		fi
		echo
		echo "| row | target | citemap | beside it | verdict | load average |"
		echo "|---|---|---|---|---|---|"
		v=
		[[ -n "${F[import_rss_1m]:-}" && $HAVE_1M == 1 ]] && v=$(awk -v s="${F[import_s_1m]}" -v m="${F[import_rss_1m]}" 'BEGIN{print (s<=90 && m<=1024) ? 1 : 2}')
		echo "| import $N1M | ≤ 90 s, ≤ 1 GiB | ${F[import_s_1m]:-–} s, peak RSS ${F[import_rss_1m]:-–} MiB, file ${F[file_1m]:-–} MiB | PostGIS (ogr2ogr + ANALYZE): ${F[pg_load_1m]:-–} s | $(verdict "$v" '<=' 1) | ${LA[import_1m]:-–} |"
		echo "| start → first bbox answer at 1M | ≤ 1 s | ${F[start_1m]:-–} s (listening after ${F[listen_1m]:-–} s) | pg_featureserv + PostgreSQL restart: ${F[pg_start_1m]:-–} s | $(verdict "${F[start_1m]:-}" '<=' 1) | ${LA[start_1m]:-–} |"
		r300=${F[rss300_1m]:-}
		echo "| RSS after 300 random bbox queries at 1M | ≤ 300 MiB | ${r300:-–}${r300:+, ${F[walk_err_1m]} errors} | ${F[pg_rss300_1m]:-–}${F[pg_rss300_1m]:+, ${F[pg_walk_err_1m]} errors} | $(verdict "${r300%% *}" '<=' 300) | ${LA[rss300_1m]:-–} |"
		v=
		[[ -n "${F[z6max_1m]:-}" && -z "${F[z6st_1m]}" ]] && v=$(awk -v k="${F[z6kb_1m]}" -v t="${F[z6max_1m]}" 'BEGIN{print (k<=500 && t<=100) ? 1 : 2}')
		echo "| z6 tile over the Caucasus at 1M | ≤ 500 KB, ≤ 100 ms uncached | largest ${F[z6kb_1m]:-–} KB (${F[z6gz_1m]:-–} KB gzip), slowest ${F[z6max_1m]:-–} ms of 6 (${F[z6_1m]:-–})${F[z6st_1m]:+; ${F[z6st_1m]}} | same run: 100k ${F[z6kb_100k]:-–} KB, ${F[z6max_100k]:-–} ms; 21.5k ${F[z6kb_21k]:-–} KB, ${F[z6max_21k]:-–} ms (no peer tile server: see the notes) | $(verdict "$v" '<=' 1) | ${LA[z6_1m]:-–} |"
		p21=$(med bbox1 citemap@21.5k p50_ms) p100=$(med bbox1 citemap@100k p50_ms) p1m=$(med bbox1 citemap@1M p50_ms)
		q21=$(med bbox1 pg_featureserv@21.5k p50_ms) q1m=$(med bbox1 pg_featureserv@1M p50_ms)
		r=$(ratio "$p1m" "$p21")
		echo "| bbox p50 at 1M vs at 21.5k | ≤ 1.3× | ${p1m:-–} / ${p21:-–} ms = ${r:-–}× (100k: ${p100:-–} ms); features per answer, mean: 1M $(mean_of "${F[feat_1m]:-}"), 21.5k $(mean_of "${F[feat_21k]:-}") | pg_featureserv: ${q1m:-–} / ${q21:-–} ms = $(ratio "$q1m" "$q21")×; features per answer, mean: 1M $(mean_of "${F[pg_feat_1m]:-}"), 21.5k $(mean_of "${F[pg_feat_21k]:-}") | $(verdict "$r" '<=' 1.3) | $LOAD_START → ${LOAD_END:-–} (rounds) |"
		r=$(ratio "$(med tile citemap rps)" "$(med tile nginx rps)")
		echo "| cached tile vs nginx, same bytes | ≥ 0.9× | $(med tile citemap rps) req/s = ${r:-–}× | nginx $(med tile nginx rps) req/s (gzip_static, sendfile) | $(verdict "$r" '>=' 0.9) | $LOAD_START → ${LOAD_END:-–} (rounds) |"
		echo "| publish one feature into the 1M layer | ≤ 1 s | ${F[publish_ms]:-–} ms per publish (mean of $PUBLISHES) | – | $(verdict "${F[publish_ms]:-}" '<=' 1000) | ${LA[publish]:-–} |"
		echo
		echo "### Other targets"
		echo
		echo "| workload | target | measured | verdict |"
		echo "|---|---|---|---|"
		r=$(ratio "$(med whole citemap rps)" "$(med whole nginx rps)")
		echo "| whole layer, gzip (21.5k) | >= 0.8x nginx | ${r:-–}x | $(verdict "$r" '>=' 0.8) |"
		r=$(ratio "$(med items citemap rps)" "$(med items pg_featureserv rps)")
		echo "| items, bbox ~100 of 21.5k | >= 5x pg_featureserv | ${r:-–}x | $(verdict "$r" '>=' 5) |"
		r=$(ratio "$(med items citemap rps)" "$(med items nginx rps)")
		echo "| items, bbox ~100 of 21.5k | >= 0.3x nginx | ${r:-–}x | $(verdict "$r" '>=' 0.3) |"
		r=$(ratio "$(med feature citemap rps)" "$(med feature nginx rps)")
		echo "| one feature by id | >= 0.5x nginx | ${r:-–}x | $(verdict "$r" '>=' 0.5) |"
		echo "| start to first bbox answer, 1k+21.5k+100k | <= 1 s | ${F[start_main]:-–} s, listening after ${F[listen_main]} s | $(verdict "${F[start_main]:-}" '<=' 1) |"
		echo "| idle RSS on the bundled data | <= 60 MiB | ${F[idle_start]} MiB after start, ${F[idle_warm]} MiB after touching every layer | $(verdict "$(( F[idle_start] > F[idle_warm] ? F[idle_start] : F[idle_warm] ))" '<=' 60) (both) |"
		echo
		echo "Features per answer of the bbox1 boxes (random boxes of each side, bbox_list: 300 at $N1M, the boxes of the RSS row, 100 at the other sizes; box side $(bbox_side 21500)° at 21.5k, $(bbox_side 100000)° at 100k, $S1M° at $N1M, shrunk by the polygons' extent: see bbox_side in bench/lib.sh): citemap 21.5k ${F[feat_21k]:-–}; 100k ${F[feat_100k]:-–}; $N1M ${F[feat_1m]:-–}. pg_featureserv 21.5k ${F[pg_feat_21k]:-–}; $N1M ${F[pg_feat_1m]:-–}."
		echo
		echo "Other figures: citemap RSS on the 1k+21.5k+100k database, peak during the run ${F[main_peak]:-–} MiB, ${F[main_after]:-–} MiB after it${F[rss_1m]:+; on the 1M database after its first answer: ${F[rss_1m]}, after the wrk rounds: ${F[rss_after_1m]:-–}}. Imports: 21.5k ${F[import_s_21k]} s (${F[import_rss_21k]} MiB), 100k ${F[import_s_100k]} s (${F[import_rss_100k]} MiB). PostGIS load (ogr2ogr) of 21.5k: ${F[pg_load_21k]:-–} s.${F[tegola_z6_100k]:+ tegola uncached z6 at 100k: ${F[tegola_z6_100k]} ms.}"
		echo
		echo "### Commands"
		echo
		echo "\$W is the run's work directory, \$DATA the generated layers (bench/gen), \$CITEMAP, \$PGFS the servers' addresses on 127.0.0.1."
		echo
		echo '```sh'
		printf '%s\n' "${CMDS[@]}"
		echo '```'
		if ((${#NOTES[@]})); then
			echo
			echo "Notes:"
			for x in "${NOTES[@]}"; do echo "- $x"; done
		fi
	} | tee "$RESULTS"
	log "results written to $RESULTS"
}

# ---------------------------------------------------------------- peers: build
PGFS_VERSION=${PGFS_VERSION:-v1.3.1}
PGFS_BIN=${PGFS_BIN:-/tmp/pgfs-bin/pg_featureserv}
TEGOLA_BIN=${TEGOLA_BIN:-/tmp/pgfs-bin/tegola}
build_pgfs() {
	[[ -x "$PGFS_BIN" ]] && return 0
	mkdir -p "$(dirname "$PGFS_BIN")"
	log "building pg_featureserv"
	if GOBIN=$(dirname "$PGFS_BIN") go install github.com/CrunchyData/pg_featureserv@latest >"$BENCH_WORK/pgfs-build.log" 2>&1; then
		return 0
	fi
	note "pg_featureserv@latest: $(build_err "$BENCH_WORK/pgfs-build.log"); building the pinned $PGFS_VERSION as a dependency of a throwaway module"
	# The proxy refuses @latest (it cannot list versions) but serves a pinned
	# version: build it as a dependency of a throwaway module.
	local m="$BENCH_WORK/pgfs-build"
	mkdir -p "$m"
	printf 'module pgfsbuild\n\ngo 1.21\n' >"$m/go.mod"
	printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/CrunchyData/pg_featureserv"\n' >"$m/tools.go"
	(cd "$m" && GOFLAGS=-mod=mod go get "github.com/CrunchyData/pg_featureserv@$PGFS_VERSION" &&
		GOFLAGS=-mod=mod go build -o "$PGFS_BIN" github.com/CrunchyData/pg_featureserv) >>"$BENCH_WORK/pgfs-build.log" 2>&1
}
# build_err LOG: why a go install failed, without the proxy's address.
build_err() {
	if grep -q '403 Forbidden' "$1"; then
		echo "the Go module proxy answers 403 Forbidden (\"not available\") for it"
	else
		grep -m1 -i 'error\|cannot\|fail' "$1" | sed -E 's#https?://[^ ]+#<url>#g' | cut -c1-160
	fi
}
pgfs_assets() {
	local d
	d=$(ls -d "$(go env GOMODCACHE)"/github.com/\!crunchy\!data/pg_featureserv@*/assets 2>/dev/null | sort -V | tail -1)
	printf '%s\n' "${d:-./assets}"
}
build_tegola() {
	[[ -x "$TEGOLA_BIN" ]] && return 0
	log "building tegola"
	GOBIN=$(dirname "$TEGOLA_BIN") go install github.com/go-spatial/tegola/cmd/tegola@latest >"$BENCH_WORK/tegola-build.log" 2>&1
}

HAVE_PG=0 HAVE_PGFS=0 HAVE_TEGOLA=0 PG_1M=0
if [[ "${NO_PG:-0}" != 1 ]]; then
	if apt_need postgresql-15-postgis-3 gdal-bin && [[ -x /usr/lib/postgresql/15/bin/initdb ]] && command -v ogr2ogr >/dev/null; then
		HAVE_PG=1
	else
		note "PostGIS (postgresql-15-postgis-3) or ogr2ogr unavailable: no pg_featureserv/tegola"
	fi
fi
if ((HAVE_PG)); then
	if build_pgfs; then HAVE_PGFS=1; else
		note "pg_featureserv did not build: $(build_err "$BENCH_WORK/pgfs-build.log")"
	fi
	if build_tegola; then HAVE_TEGOLA=1; else
		note "tegola not installable: $(build_err "$BENCH_WORK/tegola-build.log")"
	fi
fi

# ---------------------------------------------------------------- datasets
declare -A SIZES=([1k]=1000 [21k]=21500 [100k]=100000)
DB="$BENCH_WORK/main.db"
init_db "$DB"
for s in 1k 21k 100k; do
	log "import syn$s (${SIZES[$s]} $KIND)"
	import_synth "${SIZES[$s]}" "$KIND" "syn$s" "$DB" "$BENCH_WORK/time-$s.txt"
	F[import_s_$s]=$(elapsed_s "$BENCH_WORK/time-$s.txt")
	F[import_rss_$s]=$(($(time_field "$BENCH_WORK/time-$s.txt" 'Maximum resident') / 1024))
done
F[claims]=$SYNTH_CLAIMS
DB1M="$BENCH_WORK/1m.db"
HAVE_1M=0
if [[ "$FULL" == 1 ]]; then
	log "generate + import syn1m ($N1M $KIND; bounded by IMPORT_TIMEOUT=${IMPORT_TIMEOUT:-900} s)"
	init_db "$DB1M"
	cmd "/usr/bin/time -v timeout ${IMPORT_TIMEOUT:-900} mapserver import \$DATA/$KIND-$N1M-s$SYNTH_SEED.geojson --layer syn1m --db 1m.db   # after mapserver import data --db 1m.db"
	if IMPORT_TIMEOUT_S=${IMPORT_TIMEOUT:-900} import_synth "$N1M" "$KIND" syn1m "$DB1M" "$BENCH_WORK/time-1m.txt"; then
		HAVE_1M=1
	else
		note "import of 1M features failed or hit IMPORT_TIMEOUT (${IMPORT_TIMEOUT:-900} s)"
	fi
	if [[ -s "$BENCH_WORK/time-1m.txt" ]]; then
		F[import_s_1m]=$(elapsed_s "$BENCH_WORK/time-1m.txt")
		F[import_rss_1m]=$(($(time_field "$BENCH_WORK/time-1m.txt" 'Maximum resident') / 1024))
		F[file_1m]=$(($(stat -c %s "$DB1M") >> 20))
		at import_1m
	fi
fi

# ---------------------------------------------------------------- idle RSS
# On the bundled data: a first start on an empty database, as `make run` does.
log "idle RSS on the bundled data"
start_mapserver "$BENCH_WORK/bundled.db" "$BENCH_WORK/bundled.log"
b="http://127.0.0.1:$CM_PORT"
curl -sf -o /dev/null "$b/healthz"
sleep 2
F[idle_start]=$(($(rss_kib "$CM_PID") / 1024))
for l in borders disputed bases corridors events basemap; do
	curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$b/layers/$l.geojson"
	curl -s -o /dev/null "$b/collections/$l/items?limit=100"
done
sleep 2
F[idle_warm]=$(($(rss_kib "$CM_PID") / 1024))
stop_pid "$CM_PID"

# ---------------------------------------------------------------- start + uncached tiles
# start_to_first DB LOGFILE LAYER N: sets START_S, the seconds from exec to
# the first 200 of a bbox query holding ~100 of LAYER's N features, and
# LISTEN_S, to the "listening" log line; leaves the server running (CM_PID,
# CM_PORT).
start_to_first() {
	local t0 sd
	sd=$(bbox_side "$4")
	t0=$(date +%s.%N)
	start_mapserver "$1" "$2"
	LISTEN_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
	START_S=$(wait_200 "$t0" "http://127.0.0.1:$CM_PORT/collections/$3/items?limit=200&bbox=$(awk -v s="$sd" 'BEGIN{printf "44,40,%.4f,%.4f", 44+s, 40+s}')" 6000) || START_S=
}
# z6 BASE LAYER KEY: the first request of each z6 tile over the area, right
# after a start (gzip accepted, as a browser asks): F[z6_KEY] the times in
# ms, F[z6max_KEY] the slowest, F[z6kb_KEY] the largest tile in KB (plain
# MVT, asked again without gzip), F[z6gz_KEY] its gzip size, F[z6st_KEY] the
# statuses when not all 200.
z6() {
	local t o ts=() kb=() gz=() st=()
	for t in "${Z6_TILES[@]}"; do
		o=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{http_code} %{time_total} %{size_download}' --max-time 120 "$1/tiles/$2/$t.mvt" || echo "000 0 0")
		st+=("${o%% *}")
		ts+=("$(awk '{printf "%.0f", $2*1000}' <<<"$o")")
		gz+=("$(awk '{print $3}' <<<"$o")")
		kb+=("$(curl -s -o /dev/null -w '%{size_download}' --max-time 120 "$1/tiles/$2/$t.mvt" || echo 0)")
	done
	F[z6_$3]="${ts[*]}"
	F[z6max_$3]=$(printf '%s\n' "${ts[@]}" | sort -g | tail -1)
	F[z6kb_$3]=$(printf '%s\n' "${kb[@]}" | sort -g | tail -1 | awk '{printf "%.0f", $1/1000}')
	F[z6gz_$3]=$(printf '%s\n' "${gz[@]}" | sort -g | tail -1 | awk '{printf "%.0f", $1/1000}')
	F[z6st_$3]=
	[[ " ${st[*]} " =~ ^(\ 200)+\ $ ]] || F[z6st_$3]="statuses ${st[*]}"
	at "z6_$3"
}
log "start main server (1k + 21.5k + 100k)"
start_to_first "$DB" "$BENCH_WORK/main.log" syn100k 100000
F[start_main]=$START_S F[listen_main]=$LISTEN_S
CM_MAIN_PID=$CM_PID CM_MAIN=http://127.0.0.1:$CM_PORT
sample_rss "$CM_MAIN_PID" "$BENCH_WORK/main_peak_rss"

# Uncached z6 tiles: the first request of each of the 6 z6 tiles over the area.
Z6_TILES=()
for x in $(seq "$(lon2x 38 6)" "$(lon2x 49.99 6)"); do
	for y in $(seq "$(lat2y 43.99 6)" "$(lat2y 38 6)"); do Z6_TILES+=("6/$x/$y"); done
done
HAVE_TILES=0
if [[ $(http_code "$CM_MAIN/tiles/syn1k/0/0/0.mvt") =~ ^(200|204)$ ]]; then
	HAVE_TILES=1
	cmd "curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{http_code} %{time_total} %{size_download}' \$CITEMAP/tiles/LAYER/6/X/Y.mvt   # each of ${Z6_TILES[*]}, first request after start; then again without gzip for the MVT size"
	for s in 100k 21k; do z6 "$CM_MAIN" "syn$s" "$s"; done
else
	note "tiles: /tiles/syn1k/0/0/0.mvt does not answer 200 (route not there yet): tile workloads skipped"
fi

# Features per answer of the bbox1 boxes (same sides, bbox_list's boxes):
# the p50s compare answers of about the same size.
cmd "for each of 100 random bboxes (side \$(bbox_side N), awk srand(7)): curl -H 'Accept-Encoding: gzip' URL?limit=200&bbox=B | gzip -dcf | numberReturned   # features per answer, each bbox1 layer and server"
F[feat_21k]=$(bbox_features "$CM_MAIN/collections/syn21k/items?limit=200" "$(bbox_side 21500)")
F[feat_100k]=$(bbox_features "$CM_MAIN/collections/syn100k/items?limit=200" "$(bbox_side 100000)")

CM_1M= CM_1M_PID=
S1M=$(bbox_side "$N1M")
BBOXES_1M="$BENCH_WORK/bboxes-1m"
bbox_list "$S1M" "$BBOXES_1M"
if ((HAVE_1M)); then
	# As in bench/store.sh: the server starts on the file the import has
	# just written (its pages may be in the page cache, not in the process).
	log "start 1M server"
	cmd "mapserver serve --addr 127.0.0.1:0 --db 1m.db; then poll every 10 ms: curl \$CITEMAP/collections/syn1m/items?limit=200&bbox=44,40,$(awk -v s="$S1M" 'BEGIN{printf "%.4f,%.4f", 44+s, 40+s}') until 200"
	start_to_first "$DB1M" "$BENCH_WORK/1m.log" syn1m "$N1M"
	F[start_1m]=$START_S F[listen_1m]=$LISTEN_S
	at start_1m
	CM_1M=http://127.0.0.1:$CM_PORT CM_1M_PID=$CM_PID
	F[rss_1m]=$(mem_mib "$CM_1M_PID")
	((HAVE_TILES)) && z6 "$CM_1M" syn1m 1m
	log "300 random bbox queries on the 1M server"
	cmd "for each of 300 random bboxes (side $S1M deg, awk srand(7)): curl -H 'Accept-Encoding: gzip' \$CITEMAP/collections/syn1m/items?limit=200&bbox=B; then RSS from /proc/PID/status"
	F[walk_err_1m]=$(bbox_walk "$CM_1M/collections/syn1m/items?limit=200" "$BBOXES_1M" "$BENCH_WORK/counts-1m")
	F[feat_1m]=$(count_stats "$BENCH_WORK/counts-1m")
	F[rss300_1m]=$(mem_mib "$CM_1M_PID")
	at rss300_1m
fi

# ---------------------------------------------------------------- nginx
# The same bytes citemap sent, in a directory nginx serves with gzip_static.
WWW="$BENCH_WORK/www"
mkdir -p "$WWW"
ITEMS_BBOX=43.71,40.71,44.29,41.29 # ~0.58 deg square: ~100 of 21.5k features
FEATURE_ID=f-0010000
TILE="8/$(lon2x 44.1 8)/$(lat2y 41.1 8)"
# snapshot PATH NAME: fetches PATH from citemap (gzip accepted) into $WWW/NAME
# (and NAME.gz, the exact bytes, when citemap compressed it).
snapshot() {
	local hdr="$BENCH_WORK/hdr" tmp="$BENCH_WORK/body"
	curl -sf -H 'Accept-Encoding: gzip' -D "$hdr" -o "$tmp" "$CM_MAIN$1"
	if grep -qi '^content-encoding: *gzip' "$hdr"; then
		mv "$tmp" "$WWW/$2.gz"
		gzip -dc "$WWW/$2.gz" >"$WWW/$2"
	else
		mv "$tmp" "$WWW/$2"
	fi
}
snapshot /layers/syn21k.geojson syn21k.geojson
snapshot "/collections/syn21k/items?bbox=$ITEMS_BBOX&limit=200" items.geojson
snapshot "/collections/syn21k/items/$FEATURE_ID" feature.geojson
((HAVE_TILES)) && {
	curl -s -o /dev/null "$CM_MAIN/tiles/syn21k/$TILE.mvt" # now cached
	snapshot "/tiles/syn21k/$TILE.mvt" tile.mvt
}
F[items_returned]=$(grep -o '"numberReturned":[0-9]*' "$WWW/items.geojson" | cut -d: -f2)
start_nginx "$WWW"

# ---------------------------------------------------------------- PostGIS + pg_featureserv (+ tegola)
PGFS= TEGOLA= PGFS_PID= PGFS_RESTARTS=0
# start_pgfs: (re)starts pg_featureserv and waits until it answers.
start_pgfs() {
	if [[ -n "$PGFS_PID" ]]; then stop_pid "$PGFS_PID"; fi
	"$PGFS_BIN" --config "$BENCH_WORK/pgfs.toml" >>"$BENCH_WORK/pgfs.log" 2>&1 &
	PGFS_PID=$!
	BENCH_PIDS+=("$PGFS_PID")
	for _ in $(seq 1 200); do
		[[ $(http_code "$PGFS/collections.json") == 200 ]] && return 0
		sleep 0.05
	done
	return 1
}
if ((HAVE_PG)); then
	PGB=/usr/lib/postgresql/15/bin
	PGDATA="$BENCH_WORK/pg"
	PGPORT=$(free_port)
	asdb=()
	if [[ $(id -u) == 0 ]]; then asdb=(runuser -u postgres --); fi
	mkdir -p "$PGDATA" && [[ $(id -u) == 0 ]] && chown postgres: "$PGDATA"
	log "PostGIS cluster on 127.0.0.1:$PGPORT"
	"${asdb[@]}" "$PGB/initdb" -D "$PGDATA" -A trust -U postgres --no-sync >"$BENCH_WORK/initdb.log" 2>&1
	BENCH_CLEANUPS+=("${asdb[*]} $PGB/pg_ctl -D $PGDATA -m immediate stop")
	pg_start() {
		"${asdb[@]}" "$PGB/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
			-o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" \
			start >/dev/null
	}
	pg_start
	PSQL=(psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres)
	"${PSQL[@]}" -c 'CREATE DATABASE bench' postgres
	"${PSQL[@]}" -c 'CREATE EXTENSION postgis' bench
	PGCONN="host=127.0.0.1 port=$PGPORT user=postgres dbname=bench"
	nlt=()
	[[ "$KIND" == mixed ]] && nlt=(-nlt GEOMETRY)
	loads=(21k)
	((HAVE_TEGOLA)) && loads+=(100k)
	((HAVE_1M)) && loads+=(1m) && SIZES[1m]=$N1M
	PG_1M=0
	for s in "${loads[@]}"; do
		f=$(gen_layer "${SIZES[$s]}" "$KIND" "$SYNTH_SEED")
		log "ogr2ogr syn$s into PostGIS"
		cmd "ogr2ogr -f PostgreSQL PG:'host=127.0.0.1 port=PORT user=postgres dbname=bench' \$DATA/$(basename "$f") -nln syn$s -lco GEOMETRY_NAME=geom -gt 65536 && psql -c 'ANALYZE syn$s'   # GiST index by ogr2ogr"
		t0=$(date +%s.%N)
		if ! timeout "${PG_IMPORT_TIMEOUT:-900}" ogr2ogr -f PostgreSQL PG:"$PGCONN" "$f" -nln "syn$s" -lco GEOMETRY_NAME=geom -gt 65536 "${nlt[@]}" >/dev/null; then
			note "ogr2ogr of syn$s into PostGIS failed or passed PG_IMPORT_TIMEOUT (${PG_IMPORT_TIMEOUT:-900} s)"
			continue
		fi
		"${PSQL[@]}" -c "ANALYZE syn$s" bench
		F[pg_load_$s]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
		[[ $s == 1m ]] && PG_1M=1
	done
	if ((HAVE_PGFS)); then
		PGFS_PORT=$(free_port)
		cat >"$BENCH_WORK/pgfs.toml" <<EOF
[Server]
HttpHost = "127.0.0.1"
HttpPort = $PGFS_PORT
AssetsPath = "$(pgfs_assets)"
ReadTimeoutSec = 10
WriteTimeoutSec = 60
[Database]
DbConnection = "postgresql://postgres@127.0.0.1:$PGPORT/bench"
[Paging]
LimitDefault = 20
LimitMax = 10000
EOF
		PGFS=http://127.0.0.1:$PGFS_PORT
		PGFS_VER=$("$PGFS_BIN" --version 2>&1 | head -1) || true
		if ! start_pgfs || [[ $(http_code "$PGFS/collections/public.syn21k/items/10000.json") != 200 ]]; then
			note "pg_featureserv did not serve public.syn21k: $(tail -2 "$BENCH_WORK/pgfs.log" | tr '\n' ' ')"
			PGFS=
		fi
		if [[ -n "$PGFS" ]] && ((PG_1M)); then
			# Start -> first bbox answer: PostgreSQL restarted (its files in
			# the page cache, as citemap's are) and pg_featureserv started.
			log "pg_featureserv on 1M: start -> first bbox answer, 300 bbox queries"
			stop_pid "$PGFS_PID"
			PGFS_PID=
			"${asdb[@]}" "$PGB/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
			cmd "pg_ctl start -w (PostgreSQL 15, fsync=off, shared_buffers=256MB) && pg_featureserv --config pgfs.toml; then poll every 10 ms: curl \$PGFS/collections/public.syn1m/items.json?limit=200&bbox=44,40,... until 200"
			t0=$(date +%s.%N)
			pg_start
			"$PGFS_BIN" --config "$BENCH_WORK/pgfs.toml" >>"$BENCH_WORK/pgfs.log" 2>&1 &
			PGFS_PID=$!
			BENCH_PIDS+=("$PGFS_PID")
			F[pg_start_1m]=$(wait_200 "$t0" "$PGFS/collections/public.syn1m/items.json?limit=200&bbox=$(awk -v s="$S1M" 'BEGIN{printf "44,40,%.4f,%.4f", 44+s, 40+s}')" 6000) || F[pg_start_1m]=
			at pg_start_1m
			F[pg_walk_err_1m]=$(bbox_walk "$PGFS/collections/public.syn1m/items.json?limit=200" "$BBOXES_1M" "$BENCH_WORK/pg-counts-1m")
			F[pg_feat_1m]=$(count_stats "$BENCH_WORK/pg-counts-1m")
			F[pg_rss300_1m]="pg_featureserv $(mem_mib "$PGFS_PID"), PostgreSQL $(pss_tree_mib "$(head -1 "$PGDATA/postmaster.pid")") MiB (PSS of its processes)"
			at pg_rss300_1m
		fi
	fi
	[[ -n "$PGFS" ]] && F[pg_feat_21k]=$(bbox_features "$PGFS/collections/public.syn21k/items.json?limit=200" "$(bbox_side 21500)")
	if ((HAVE_TEGOLA)); then
		# Untested here: the Go proxy refused tegola when this was written.
		TEGOLA_PORT=$(free_port)
		cat >"$BENCH_WORK/tegola.toml" <<EOF
[webserver]
port = "127.0.0.1:$TEGOLA_PORT"
[cache]
type = "file"
basepath = "$BENCH_WORK/tegola-cache"
[[providers]]
name = "bench"
type = "postgis"
uri = "postgres://postgres@127.0.0.1:$PGPORT/bench?sslmode=disable"
srid = 4326
  [[providers.layers]]
  name = "syn21k"
  tablename = "syn21k"
  geometry_fieldname = "geom"
  id_fieldname = "ogc_fid"
  [[providers.layers]]
  name = "syn100k"
  tablename = "syn100k"
  geometry_fieldname = "geom"
  id_fieldname = "ogc_fid"
[[maps]]
name = "syn21k"
  [[maps.layers]]
  provider_layer = "bench.syn21k"
[[maps]]
name = "syn100k"
  [[maps.layers]]
  provider_layer = "bench.syn100k"
EOF
		"$TEGOLA_BIN" serve --config "$BENCH_WORK/tegola.toml" >"$BENCH_WORK/tegola.log" 2>&1 &
		BENCH_PIDS+=("$!")
		TEGOLA=http://127.0.0.1:$TEGOLA_PORT
		for _ in $(seq 1 200); do [[ $(http_code "$TEGOLA/capabilities") == 200 ]] && break; sleep 0.05; done
		if [[ $(http_code "$TEGOLA/capabilities") == 200 ]]; then
			ts=()
			for t in "${Z6_TILES[@]}"; do
				ts+=("$(curl -s -o /dev/null -w '%{time_total}' "$TEGOLA/maps/syn100k/$t.pbf")")
			done
			F[tegola_z6_100k]=$(printf '%s\n' "${ts[@]}" | awk '{printf "%s%.0f", (NR>1 ? " " : ""), $1*1000}')
			curl -s -o /dev/null "$TEGOLA/maps/syn21k/$TILE.pbf"
		else
			note "tegola did not start: $(tail -2 "$BENCH_WORK/tegola.log" | tr '\n' ' ')"
			TEGOLA=
		fi
	fi
fi

# ---------------------------------------------------------------- workloads
# workload|server|url|wrk args (script and its arguments)
W=()
add() { W+=("$1|$2|$3|$4"); }
R="-s $BENCH_DIR/report.lua"
add whole citemap "$CM_MAIN/layers/syn21k.geojson" "$R"
add whole nginx "$NGINX/syn21k.geojson" "$R"
add items citemap "$CM_MAIN/collections/syn21k/items?bbox=$ITEMS_BBOX&limit=200" "$R"
add items nginx "$NGINX/items.geojson" "$R"
[[ -n "$PGFS" ]] && add items pg_featureserv "$PGFS/collections/public.syn21k/items.json?bbox=$ITEMS_BBOX&limit=200" "$R"
add feature citemap "$CM_MAIN/collections/syn21k/items/$FEATURE_ID" "$R"
add feature nginx "$NGINX/feature.geojson" "$R"
[[ -n "$PGFS" ]] && add feature pg_featureserv "$PGFS/collections/public.syn21k/items/10000.json" "$R"
if ((HAVE_TILES)); then
	add tile citemap "$CM_MAIN/tiles/syn21k/$TILE.mvt" "$R"
	add tile nginx "$NGINX/tile.mvt" "$R"
	[[ -n "$TEGOLA" ]] && add tile tegola "$TEGOLA/maps/syn21k/$TILE.pbf" "$R"
fi
# One connection, random bboxes holding ~100 features at each size: the p50
# must not grow much with the layer.
add bbox1 citemap@21.5k "$CM_MAIN" "-s $BENCH_DIR/bbox.lua -- /collections/syn21k/items?limit=200 $(bbox_side 21500)"
add bbox1 citemap@100k "$CM_MAIN" "-s $BENCH_DIR/bbox.lua -- /collections/syn100k/items?limit=200 $(bbox_side 100000)"
[[ -n "$CM_1M" ]] && add bbox1 citemap@1M "$CM_1M" "-s $BENCH_DIR/bbox.lua -- /collections/syn1m/items?limit=200 $S1M"
if [[ -n "$PGFS" ]]; then
	add bbox1 pg_featureserv@21.5k "$PGFS" "-s $BENCH_DIR/bbox.lua -- /collections/public.syn21k/items.json?limit=200 $(bbox_side 21500)"
	((PG_1M)) && add bbox1 pg_featureserv@1M "$PGFS" "-s $BENCH_DIR/bbox.lua -- /collections/public.syn1m/items.json?limit=200 $S1M"
fi

n=${#W[@]}
log "$n workload/server pairs x $ROUNDS rounds x ${DURATION}s: about $((n * ROUNDS * (DURATION + 1) / 60 + 1)) min"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
cmd "wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout 10s -H 'Accept-Encoding: gzip' -s bench/report.lua URL   # whole, items, feature, tile; $ROUNDS interleaved rounds"
cmd "cat DATABASE_FILES >/dev/null; wrk -t1 -c1 -d${DURATION}s --timeout 10s -H 'Accept-Encoding: gzip' -s bench/bbox.lua \$SERVER -- ITEMS_PATH?limit=200 SIDE   # bbox1: SIDE $(bbox_side 21500) at 21.5k, $S1M at $N1M; the files: main.db, 1m.db, or PostgreSQL's base/"
OUT="$BENCH_WORK/results.tsv"
: >"$OUT"
REPORT_READY=1
for ((r = 1; r <= ROUNDS; r++)); do
	order=$(seq 0 $((n - 1)))
	((r % 2 == 0)) && order=$(seq $((n - 1)) -1 0)
	for i in $order; do
		IFS='|' read -r wl srv url args <<<"${W[$i]}"
		c=$CONNS t=$THREADS
		[[ $wl == bbox1 ]] && c=1 t=1
		# pg_featureserv 1.3.1 stops answering for good once clients hang up
		# on requests queued for its connection pool (as wrk does at the end
		# of a run): give it a fresh process before each of its runs.
		if [[ $srv == pg_featureserv* ]]; then
			start_pgfs || note "pg_featureserv did not restart in round $r"
			curl -s -o /dev/null "$url"
			PGFS_RESTARTS=$((PGFS_RESTARTS + 1))
		fi
		# Read the database files of a bbox1 run first: this machine's kernel
		# pages out memory idle for a minute (a DAMON "pageout" scheme), page
		# cache included, so a 1M file left alone while other workloads ran
		# would be read from disk, 4 KiB at a time, by random queries. Both
		# servers get the same: the rows compare warm files.
		if [[ $wl == bbox1 ]]; then
			case $srv in
			citemap@1M) cat "$DB1M" >/dev/null ;;
			citemap@*) cat "$DB" >/dev/null ;;
			pg_featureserv@*) find "$PGDATA/base" -type f -exec cat {} + >/dev/null ;;
			esac
		fi
		script=${args%% -- *}
		sargs=
		[[ "$args" == *" -- "* ]] && sargs=${args#* -- }
		# shellcheck disable=SC2086
		line=$(timeout $((DURATION + 30)) wrk -t"$t" -c"$c" -d"${DURATION}s" --timeout 10s \
			-H 'Accept-Encoding: gzip' $script "$url" ${sargs:+-- $sargs} 2>&1 | grep '^RESULT' || true)
		if [[ -z "$line" ]]; then
			note "wrk gave no result for $wl/$srv in round $r"
			continue
		fi
		printf '%s\t%s\t%s\t%s\n' "$wl" "$srv" "$r" "$line" >>"$OUT"
	done
	log "round $r/$ROUNDS done"
done
LOAD_END=$(loadavg)
kill "$SAMPLER_PID" 2>/dev/null || true
if ((HAVE_1M)); then
	F[rss_after_1m]=$(mem_mib "$CM_1M_PID")
	stop_pid "$CM_1M_PID"
	# The store's own benchmark, on the file just served (as bench/store.sh).
	log "publish one feature into the 1M layer, $PUBLISHES times (BenchmarkPublishOneInto)"
	cmd "CITEMAP_BENCH_DB=1m.db CITEMAP_BENCH_LAYER=syn1m go test -run '^\$' -bench 'BenchmarkPublishOneInto\$' -benchtime ${PUBLISHES}x ./layers/bolt"
	if out=$(cd "$REPO" && CITEMAP_BENCH_DB=$DB1M CITEMAP_BENCH_LAYER=syn1m timeout 900 go test -run '^$' -bench 'BenchmarkPublishOneInto$' -benchtime "${PUBLISHES}x" -timeout 850s ./layers/bolt 2>&1); then
		F[publish_ms]=$(grep -E '^BenchmarkPublishOneInto' <<<"$out" | awk '{printf "%.1f", $3/1e6}')
		at publish
	else
		note "BenchmarkPublishOneInto failed: $(tail -3 <<<"$out" | tr '\n' ' ' | cut -c1-200)"
	fi
fi
F[main_peak]=$(($(cat "$BENCH_WORK/main_peak_rss" 2>/dev/null || echo 0) / 1024))
F[main_after]=$(($(rss_kib "$CM_MAIN_PID") / 1024))

report_all
