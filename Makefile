# citemap: `make run` serves the bundled data, `make test` runs every test,
# `make check` is the quick edit-test loop.
GO        ?= go
ADDR      ?= 127.0.0.1:8080
DB        ?= ./mapserver.db
FUZZTIME  ?= 20s

.PHONY: build run test check vet fuzz bench clean deps frontend test-browser test-load

build: frontend
	$(GO) build -o bin/mapserver ./cmd/mapserver

# The web map (MapLibre GL JS and the app, bundled by esbuild) into
# frontend/dist, which the Go build embeds. `npm ci` runs only when
# package-lock.json is newer than the installed node_modules.
frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

frontend/node_modules/.package-lock.json: frontend/package-lock.json frontend/package.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

# The browser end-to-end tests: Debian's chromium against bin/mapserver.
test-browser: build
	cd frontend && npm test

# Serves the database at $(DB); a missing or empty one is filled with the
# bundled data/ first.
run: build
	./bin/mapserver serve --addr $(ADDR) --db $(DB)

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# The Debian packages the tests drive as real clients (GDAL, QGIS, Chromium).
deps:
	./.ci/deps

# Everything that can fail only for a real defect: every Go test (the seed
# corpora and the crashers kept in testdata/fuzz run here too), the browser
# tests and a 10 s load test. Time-boxed fuzzing is `make fuzz`. The front
# end is built first, so the Go tests serve (and export) the real map.
test: deps vet frontend
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory test-browser
	$(MAKE) --no-print-directory test-load

# About a minute: gofmt, vet and the Go tests in -short mode, which skip the
# GIS clients, the kill -9 rounds and anything else that drives an outside
# program (browser and load tests are not Go tests and are not run).
check: vet
	$(GO) test -short -count=1 ./...

# 10 s of mixed reads at 64 connections: no errors, peak RSS under 512 MiB,
# p99 latency under 2 s.
test-load: build
	MAPSERVER=bin/mapserver bench/load.sh 10

# A time-boxed run of every fuzz target; crashers land in testdata/fuzz and
# from then on run in every `go test`. .ci/fuzz fails only when the engine
# writes a failing input (a property breach); a run the Go engine itself
# aborts without one ("context deadline exceeded") is reported, not failed.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers FuzzNormalizeAnchor FuzzReadLayer FuzzReanchor FuzzFastDecode FuzzJSONNumberEnd
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers/bolt FuzzJSONEncoding
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers/edit FuzzLocate FuzzMergePatch
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers/tiles FuzzUnmarshalFlat FuzzMarshal
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers/article FuzzText
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./layers/places FuzzSuggest FuzzAutomaton
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./geo FuzzParseBBox FuzzParseDatetime
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz ./server FuzzItemsQuery FuzzEmbedFlags FuzzAcceptsCoding

# Go benchmarks, 60 s of mixed load, the comparison with nginx and
# pg_featureserv (bench/README.md; FULL=1 adds the 1M-feature runs), then
# the map's first render in chromium.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	MAPSERVER=bin/mapserver bench/load.sh 60
	MAPSERVER=bin/mapserver bench/run.sh
	MAPSERVER=bin/mapserver node bench/first-render.mjs

clean:
	rm -rf bin
