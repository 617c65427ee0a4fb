# Shared helpers for bench/run.sh and bench/load.sh. Source it; do not run it.
# Everything binds to 127.0.0.1 and is torn down by bench_cleanup (trap EXIT).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BENCH_PIDS=()        # processes we started, killed by id on exit
BENCH_CLEANUPS=()    # extra commands run on exit (e.g. pg_ctl stop)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_cleanup() {
	local rc=$?
	local c p
	for c in "${BENCH_CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${BENCH_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$p" 2>/dev/null || true
	done
	if [[ -n "${BENCH_WORK:-}" && -d "$BENCH_WORK" && "${KEEP:-0}" != 1 ]]; then rm -rf "$BENCH_WORK"; fi
	return "$rc"
}

# apt_need PKG...: installs the Debian packages that are missing (as root, once).
APT_UPDATED=0
apt_need() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) != 0 ]]; then
		log "missing Debian packages (not root, cannot install): ${missing[*]}"
		return 1
	fi
	log "apt-get install ${missing[*]}"
	if [[ $APT_UPDATED == 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
}

# build_mapserver: sets MAPSERVER (a prebuilt binary can be given in $MAPSERVER).
build_mapserver() {
	if [[ -n "${MAPSERVER:-}" ]]; then
		[[ -x "$MAPSERVER" ]] || { log "MAPSERVER=$MAPSERVER is not executable"; return 1; }
		log "using prebuilt $MAPSERVER"
		return 0
	fi
	MAPSERVER="$BENCH_WORK/mapserver"
	log "building citemap"
	(cd "$REPO" && go build -o "$MAPSERVER" ./cmd/mapserver)
}

# gen_layer N KIND SEED CLAIMS -> prints the path of a cached generated file.
gen_layer() {
	local n=$1 kind=$2 seed=$3 claims=${4:-}
	local dir="${DATA_DIR:-/tmp/citemap-bench-data}"
	mkdir -p "$dir"
	local f="$dir/$kind-$n-s$seed${claims:+-c$claims}.geojson"
	if [[ ! -s "$f" ]]; then
		(cd "$REPO" && go run ./bench/gen -n "$n" -seed "$seed" -kind "$kind" ${claims:+-claims "$claims"} -o "$f.tmp") >&2
		mv "$f.tmp" "$f"
	fi
	printf '%s\n' "$f"
}

# start_mapserver DB LOGFILE [ENV...]: starts `mapserver serve` on a free
# loopback port; sets CM_PID and CM_PORT. Fails after 60 s without "listening".
start_mapserver() {
	local db=$1 logf=$2
	: >"$logf"
	"$MAPSERVER" serve --addr 127.0.0.1:0 --db "$db" 2>"$logf" >/dev/null &
	CM_PID=$!
	BENCH_PIDS+=("$CM_PID")
	CM_PORT=
	local i
	for ((i = 0; i < 6000; i++)); do
		CM_PORT=$(grep -o 'msg=listening addr=127.0.0.1:[0-9]*' "$logf" 2>/dev/null | head -1 | sed 's/.*://') || true
		[[ -n "$CM_PORT" ]] && return 0
		kill -0 "$CM_PID" 2>/dev/null || { log "mapserver exited:"; tail -5 "$logf" >&2; return 1; }
		sleep 0.01
	done
	log "mapserver did not listen within 60 s"
	return 1
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

# rss_kib PID: resident set size in KiB.
rss_kib() { ps -o rss= -p "$1" 2>/dev/null | tr -d ' '; }

# sample_rss PID FILE: every 0.5 s writes the peak RSS (KiB) seen so far to FILE.
# Runs in the background; its pid is in SAMPLER_PID.
sample_rss() {
	local pid=$1 out=$2
	(
		peak=0
		while kill -0 "$pid" 2>/dev/null; do
			r=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')
			if [[ -n "$r" && "$r" -gt "$peak" ]]; then peak=$r; echo "$peak" >"$out"; fi
			sleep 0.5
		done
	) &
	SAMPLER_PID=$!
	BENCH_PIDS+=("$SAMPLER_PID")
}

# lon2x LON Z / lat2y LAT Z: slippy-map tile numbers.
lon2x() { awk -v lon="$1" -v z="$2" 'BEGIN{printf "%d", (lon+180)/360*2^z}'; }
lat2y() { awk -v lat="$1" -v z="$2" 'BEGIN{pi=atan2(0,-1); r=lat*pi/180; printf "%d", (1-log(sin(r)/cos(r)+1/cos(r))/pi)/2*2^z}'; }

# http_code URL: the status of a GET (000 when nothing answers).
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@" || true; }

machine_info() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -h | awk '/^Mem:/{print $2}') RAM, $(uname -sr)"
	echo "- go: $(go version 2>/dev/null | awk '{print $3}'), wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}'), nginx: $(nginx -v 2>&1 | sed 's/.*nginx\///')"
	echo "- citemap: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
}

# init_db DB: a database holding the bundled data, as a first start makes it.
init_db() {
	"$MAPSERVER" import "$REPO/data" --db "$1" >/dev/null
}

# import_synth N KIND LAYER DB [TIMEFILE]: generates (cached) and imports a
# synthetic layer. Imports plain GeoJSON (an "uncited" layer) when the server
# takes it, else the variant whose features cite passage $SYNTH_PASSAGE
# (SYNTH_CLAIMS=plain|cited caches the choice). With TIMEFILE the import runs
# under /usr/bin/time -v, whose report lands there; IMPORT_TIMEOUT_S bounds it.
SYNTH_SEED=${SYNTH_SEED:-1}
SYNTH_PASSAGE=${SYNTH_PASSAGE:-p004-01}
SYNTH_CLAIMS=${SYNTH_CLAIMS:-}
import_synth() {
	local n=$1 kind=$2 layer=$3 db=$4 timef=${5:-} f out
	local -a timer=()
	[[ -n "$timef" ]] && timer=(/usr/bin/time -v -o "$timef")
	# --foreground keeps the import in the script's process group, so a
	# timeout or Ctrl-C of the whole run stops it too.
	[[ -n "${IMPORT_TIMEOUT_S:-}" ]] && timer+=(timeout --foreground -k 10 "$IMPORT_TIMEOUT_S")
	if [[ "$SYNTH_CLAIMS" != cited ]]; then
		f=$(gen_layer "$n" "$kind" "$SYNTH_SEED")
		if out=$("${timer[@]}" "$MAPSERVER" import "$f" --layer "$layer" --db "$db" 2>&1); then
			SYNTH_CLAIMS=plain
			return 0
		fi
		if [[ "$SYNTH_CLAIMS" == plain ]] || ! grep -q -i 'passage\|claim\|cite' <<<"$out"; then
			printf '%s\n' "$out" | tail -5 >&2
			return 1
		fi
		log "plain GeoJSON refused ($(printf '%s\n' "$out" | head -1 | cut -c1-120)); importing the variant citing $SYNTH_PASSAGE"
		SYNTH_CLAIMS=cited
	fi
	f=$(gen_layer "$n" "$kind" "$SYNTH_SEED" "$SYNTH_PASSAGE")
	if ! out=$("${timer[@]}" "$MAPSERVER" import "$f" --layer "$layer" --db "$db" 2>&1); then
		printf '%s\n' "$out" | tail -5 >&2
		return 1
	fi
}

# time_field FILE NAME: a field of a /usr/bin/time -v report.
time_field() { grep -F "$2" "$1" | head -1 | sed 's/.*: //'; }
# elapsed_s FILE: the wall clock of a /usr/bin/time -v report, in seconds.
elapsed_s() { time_field "$1" 'Elapsed (wall clock)' | awk -F: '{s=0; for(i=1;i<=NF;i++) s=s*60+$i; printf "%.1f", s}'; }

# loadavg: the 1, 5 and 15 minute load averages, for the figure beside them.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# bbox_side N: the side, in degrees, of a square box that meets ~100 of N
# features spread over lon 38-50, lat 38-44 (72 square degrees). A feature
# meets the box when its own extent overlaps it, so a box of side s meets
# about N/72 * (s + e)^2 features of extent e: the side is
# sqrt(72 * 100 / N) - e. bench/gen's polygons are about e = 0.045 deg
# across whatever N is (radius 0.005-0.05 deg); sized by their centres
# alone, a 1M box met twice the features of a 21.5k one, and the p50 ratio
# measured the size of the answer. BBOX_EXTENT sets e (default: 0.045 for
# KIND=polygons, else 0); the features each answer held are reported
# beside the timings (bbox_walk, bbox_features), so the fairness shows.
bbox_side() {
	local e=${BBOX_EXTENT:-}
	[[ -z "$e" ]] && { [[ "${KIND:-polygons}" == polygons ]] && e=0.045 || e=0; }
	awk -v n="$1" -v e="$e" 'BEGIN{printf "%.4f", sqrt(72*100/n) - e}'
}

# bbox_list SIDE FILE [N]: N (300) random bboxes of that side (fixed seed,
# as in bench/store.sh), one "minx,miny,maxx,maxy" a line.
bbox_list() {
	awk -v s="$1" -v n="${3:-300}" 'BEGIN{srand(7); for (i = 0; i < n; i++) {x = 38 + rand()*(12-s); y = 38 + rand()*(6-s); printf "%.5f,%.5f,%.5f,%.5f\n", x, y, x+s, y+s}}' >"$2"
}

# bbox_walk URL FILE [COUNTS]: GETs URL&bbox=B for every B of FILE (gzip
# accepted); prints how many did not answer 200. With COUNTS, appends each
# answer's numberReturned (the features it held) to that file.
bbox_walk() {
	local errors=0 bb tmp="$BENCH_WORK/walk.body" code
	while read -r bb; do
		code=$(curl -s -o "$tmp" -w '%{http_code}' --max-time 30 -H 'Accept-Encoding: gzip' "$1&bbox=$bb" || true)
		[[ $code == 200 ]] || errors=$((errors + 1))
		if [[ -n "${3:-}" && $code == 200 ]]; then
			gzip -dcf "$tmp" | grep -o '"numberReturned": *[0-9]*' | grep -o '[0-9]*$' >>"$3" || true
		fi
	done <"$2"
	echo "$errors"
}

# bbox_features URL SIDE: the features per answer of 100 random boxes of
# that side (bbox_list's, fixed seed), as count_stats prints them.
bbox_features() {
	local list="$BENCH_WORK/feat.bboxes" counts="$BENCH_WORK/feat.counts"
	bbox_list "$2" "$list" 100
	: >"$counts"
	bbox_walk "$1" "$list" "$counts" >/dev/null
	count_stats "$counts"
}

# count_stats FILE: "mean M, median X, min-max A-B (n answers)" of the
# numbers in FILE, one a line.
count_stats() {
	sort -n "$1" | awk '{a[NR]=$1; t+=$1} END{ if (NR) printf "mean %.1f, median %d, %d–%d (%d answers)", t/NR, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR], NR }'
}

# wait_200 T0 URL [TRIES]: polls URL every 10 ms until it answers 200;
# prints the seconds since T0 (date +%s.%N), or nothing after TRIES (6000).
wait_200() {
	local i
	for ((i = 0; i < ${3:-6000}; i++)); do
		if [[ $(http_code "$2") == 200 ]]; then
			awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# mem_mib PID: "RSS MiB (anonymous A, file F)" of a process.
mem_mib() {
	awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} /^VmRSS/{r=$2} END{printf "%d MiB (anonymous %d, file %d)", r/1024, a/1024, f/1024}' "/proc/$1/status" 2>/dev/null
}

# pss_tree_mib PID: the proportional set size (MiB) of PID and its children,
# so shared memory (PostgreSQL's buffers) counts once.
pss_tree_mib() {
	local p t=0 k
	for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
		k=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
		t=$((t + ${k:-0}))
	done
	echo $((t / 1024))
}

# start_nginx WWW: nginx on a free loopback port serving directory WWW as a
# static host would (sendfile, gzip_static: X.gz is sent for X to clients
# that accept gzip, keep-alive unlimited, access log on as citemap's is;
# NGINX_ACCESS_LOG_OPTS, e.g. 'combined buffer=64k flush=200ms', buffers it as citemap
# buffers its own);
# sets NGINX (its base URL). Its files live in $BENCH_WORK.
start_nginx() {
	local www=$1 port
	port=$(free_port)
	cat >"$BENCH_WORK/nginx.conf" <<EOF
worker_processes auto;
pid $BENCH_WORK/nginx.pid;
error_log $BENCH_WORK/nginx-error.log warn;
daemon off;
events { worker_connections 1024; }
http {
	types {
		application/geo+json geojson;
		application/vnd.mapbox-vector-tile mvt;
	}
	default_type application/octet-stream;
	access_log $BENCH_WORK/nginx-access.log ${NGINX_ACCESS_LOG_OPTS:-};
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	gzip_static on;
	client_body_temp_path $BENCH_WORK/nginx-tmp;
	proxy_temp_path $BENCH_WORK/nginx-tmp;
	server {
		listen 127.0.0.1:$port;
		root $www;
		location / { add_header Cache-Control "public, max-age=60"; }
	}
}
EOF
	mkdir -p "$BENCH_WORK/nginx-tmp"
	nginx -c "$BENCH_WORK/nginx.conf" -p "$BENCH_WORK" &
	BENCH_PIDS+=("$!")
	NGINX=http://127.0.0.1:$port
	for _ in $(seq 1 100); do [[ $(http_code "$NGINX/") != 000 ]] && return 0; sleep 0.05; done
	log "nginx did not start"
	cat "$BENCH_WORK/nginx-error.log" >&2
	return 1
}
