# citemap: `make run` serves the bundled data, `make test` runs every test.
GO        ?= go
ADDR      ?= 127.0.0.1:8080
DB        ?= ./mapserver.db
FUZZTIME  ?= 20s

.PHONY: build run test vet fuzz bench clean deps frontend test-browser test-load

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

test: deps vet
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory test-browser
	$(MAKE) --no-print-directory test-load
	$(MAKE) --no-print-directory fuzz

# 10 s of mixed reads at 64 connections: no errors, peak RSS under 512 MiB.
test-load: build
	MAPSERVER=bin/mapserver bench/load.sh 10

# A short run of every fuzz target; crashers land in testdata/fuzz.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizeAnchor$$' -fuzztime $(FUZZTIME) ./layers
	$(GO) test -run '^$$' -fuzz '^FuzzReadLayer$$' -fuzztime $(FUZZTIME) ./layers
	$(GO) test -run '^$$' -fuzz '^FuzzParseBBox$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzParseDatetime$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzItemsQuery$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzEmbedFlags$$' -fuzztime $(FUZZTIME) ./server

# Go benchmarks, 60 s of mixed load, then the comparison with nginx and
# pg_featureserv (bench/README.md; FULL=1 adds the 1M-feature runs).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	MAPSERVER=bin/mapserver bench/load.sh 60
	MAPSERVER=bin/mapserver bench/run.sh

clean:
	rm -rf bin
