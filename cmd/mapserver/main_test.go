package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the mapserver built once for the tests that run it as a user does.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mapserver-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mapserver")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build mapserver: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary to completion. The bound only catches a hung command:
// export-site needs about 11 s of CPU, which a busy 2-core machine can
// stretch past a minute.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), "MAPSERVER_DB=", "MAPSERVER_ADDR=")
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("%v: %v", args, err)
	}
	return o.String(), e.String(), code
}

type proc struct {
	base string
	cmd  *exec.Cmd
	done chan error
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start starts `mapserver serve` on a free loopback port and waits for the
// line that says it listens.
func start(t *testing.T, db string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", db)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &proc{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		t.Fatalf("mapserver exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("mapserver did not start listening within 30s")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *proc) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("mapserver did not shut down cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		t.Error("mapserver ignored SIGTERM for 15s")
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestServeEmptyDatabaseLoadsBundledData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	s := start(t, db)

	res, b := get(t, s.base+"/collections?f=json")
	if res.StatusCode != 200 {
		t.Fatalf("collections: %d %s", res.StatusCode, b)
	}
	var colls struct{ Collections []struct{ ID string } }
	if err := json.Unmarshal(b, &colls); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range colls.Collections {
		ids = append(ids, c.ID)
	}
	if got, want := strings.Join(ids, ","), "borders,borders-context,disputed,disputed-context,bases,bases-context,corridors,corridors-context,events,events-context,countries"; got != want {
		t.Errorf("collections = %s, want %s", got, want)
	}

	res, b = get(t, s.base+"/layers/bases.geojson")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("download: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var fc struct {
		Type     string
		Features []struct {
			ID         string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		t.Fatalf("download = %.200s", b)
	}
	for _, f := range fc.Features {
		if n, _ := f.Properties["source_count"].(float64); n < 1 {
			t.Errorf("feature %s cites no source", f.ID)
		}
	}
	if res, _ := get(t, s.base+"/healthz"); res.StatusCode != 200 {
		t.Errorf("healthz = %d", res.StatusCode)
	}
}

func TestSecondServerOnSameDatabaseExits(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	start(t, db)
	began := time.Now()
	_, stderr, code := run(t, "serve", "--addr", "127.0.0.1:0", "--db", db)
	took := time.Since(began)
	if code == 0 || !strings.Contains(stderr, "in use") {
		t.Fatalf("second serve: exit %d, stderr %q; want non-zero and 'in use'", code, stderr)
	}
	if took > 10*time.Second {
		t.Errorf("second serve took %s to give up", took)
	}
	t.Logf("second serve gave up after %s: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr))
}

func TestCheck(t *testing.T) {
	out, stderr, code := run(t, "check", "../../data")
	if code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("check bundled data: exit %d\n%s%s", code, out, stderr)
	}

	// A deliberately broken copy: a feature with no claims, a quote edited.
	broken := copyDir(t, "../../data")
	editJSON(t, filepath.Join(broken, "layers", "bases.geojson"), func(fc map[string]any) {
		f := fc["features"].([]any)[0].(map[string]any)
		f["properties"].(map[string]any)["claims"] = []any{}
	})
	var firstFeature string
	editJSON(t, filepath.Join(broken, "layers", "bases.geojson"), func(fc map[string]any) {
		firstFeature = fc["features"].([]any)[0].(map[string]any)["id"].(string)
	})
	var passage string
	src := filepath.Join(broken, "sources", "004_70ff61cf739652f9.json")
	editJSON(t, src, func(s map[string]any) {
		p := s["passages"].([]any)[0].(map[string]any)
		passage = p["id"].(string)
		p["exact"] = p["exact"].(string) + " (edited)"
	})
	out, _, code = run(t, "check", broken)
	if code == 0 {
		t.Fatalf("check passed a broken copy:\n%s", out)
	}
	for _, want := range []string{"bases/" + firstFeature, "passage " + passage} {
		if !strings.Contains(out, want) {
			t.Errorf("check output does not name %q:\n%s", want, out)
		}
	}

	// check on a database.
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	if out, stderr, code := run(t, "check", "--db", db); code != 0 || !strings.Contains(out, "ok:") {
		t.Errorf("check --db: exit %d %s%s", code, out, stderr)
	}
	if _, stderr, code := run(t, "check", "--db", filepath.Join(t.TempDir(), "none.db")); code == 0 || !strings.Contains(stderr, "no database") {
		t.Errorf("check on a missing database: exit %d %s", code, stderr)
	}
}

func TestImportFailureLeavesDatabaseUnchanged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	before := fileHash(t, db)
	exportBefore, stderr, code := run(t, "export", "bases", "--db", db)
	if code != 0 || !strings.Contains(exportBefore, "FeatureCollection") {
		t.Fatalf("export before: exit %d %s", code, stderr)
	}

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pt := func(id, coords, claims string) string {
		return `{"type":"Feature","id":"` + id + `","geometry":{"type":"Point","coordinates":` + coords + `},"properties":{"name":"x","claims":` + claims + `}}`
	}
	good := `[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"explicit"}]`
	tests := []struct {
		name, file string
		want       []string
	}{
		{"malformed JSON", write("bad.geojson", `{"type":"FeatureCollection","features":[`+pt("a", "[44,40]", good)+`,]}`), []string{"bad.geojson", "malformed JSON at line 1"}},
		{"out of range", write("far.geojson", `{"type":"FeatureCollection","features":[`+pt("too-far", "[44,95]", good)+`]}`), []string{"far.geojson", "too-far", "outside lon"}},
		{"unclosed ring", write("ring.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"open-ring","geometry":{"type":"Polygon","coordinates":[[[44,40],[45,40],[45,41],[44,41]]]},"properties":{"claims":`+good+`}}]}`), []string{"ring.geojson", "open-ring", "not closed"}},
		{"missing passage", write("bases.geojson", `{"type":"FeatureCollection","features":[`+pt("orphan", "[44,40]", `[{"passage":"p-nowhere","aspect":"existence","relation":"supports","basis":"explicit"}]`)+`]}`), []string{"bases.geojson", "orphan", `"p-nowhere"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, "import", tt.file, "--db", db)
			if code == 0 {
				t.Fatal("import succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
			if fileHash(t, db) != before {
				t.Error("database file changed")
			}
		})
	}
	exportAfter, stderr, code := run(t, "export", "bases", "--db", db)
	if code != 0 {
		t.Fatalf("export after: exit %d %s", code, stderr)
	}
	if exportAfter != exportBefore {
		t.Error("export differs after failed imports")
	}
}

func TestImportSingleLayer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	f := filepath.Join(t.TempDir(), "extra.geojson")
	body := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"gyumri","geometry":{"type":"Point","coordinates":[43.84635,40.79305]},"properties":{"name":"Gyumri","claims":[{"passage":"p004-01","aspect":"existence","relation":"supports","basis":"explicit"}]}}]}`
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "import", f, "--layer", "towns", "--db", db)
	if code != 0 || !strings.Contains(out, "1 feature(s)") {
		t.Fatalf("import: exit %d %s %s", code, out, stderr)
	}
	out, _, code = run(t, "export", "towns", "--db", db)
	if code != 0 || !strings.Contains(out, `"id":"gyumri"`) || !strings.Contains(out, `"passage_ids":"p004-01"`) {
		t.Errorf("export towns: %s", out)
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, cmd := range []string{"serve", "import", "export", "check", "export-site", "prune"} {
		out, _, code := run(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "Usage: mapserver "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, out)
		}
	}
	if out, _, code := run(t, "--help"); code != 0 || !strings.Contains(out, "mapserver serve") {
		t.Errorf("--help: exit %d %s", code, out)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"export"}, {"import"}, {"serve", "extra"}, {"serve", "--nope"}, {"export", "bases", "--format", "kml"}} {
		if _, stderr, code := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
	missing := filepath.Join(t.TempDir(), "x.db")
	if _, stderr, code := run(t, "export", "bases", "--db", missing); code != 1 || !strings.Contains(stderr, "no database at") {
		t.Errorf("export from a missing database: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("export created a database")
	}
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	if _, stderr, code := run(t, "export", "nope", "--db", db); code != 1 || !strings.Contains(stderr, `layer "nope" does not exist`) {
		t.Errorf("export of a missing layer: exit %d %s", code, stderr)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func editJSON(t *testing.T, path string, fn func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExportSite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	// A copy for the exports made while the live server below holds the file.
	db2 := filepath.Join(t.TempDir(), "map.db")
	if b, err := os.ReadFile(db); err != nil || os.WriteFile(db2, b, 0o644) != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, stderr, code := run(t, "export-site", dir, "--max-zoom", "5", "--base-url", "https://maps.example.org", "--db", db)
	if code != 0 {
		t.Fatalf("export-site: %s %s", out, stderr)
	}
	t.Log(strings.TrimSpace(out))
	readFile := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatalf("the export lacks %s: %v", name, err)
		}
		return b
	}
	var types map[string]string
	if err := json.Unmarshal(readFile("content-types.json"), &types); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/layers/bases.geojson": "application/geo+json", "/tiles/bases.pmtiles": "application/vnd.pmtiles",
		"/index.html": "text/html", "/passages.csv": "text/csv", "/static/map.png": "image/png", "/tiles/basemap.json": "application/json",
	} {
		if !strings.HasPrefix(types[path], want) {
			t.Errorf("%s recorded as %q, want %s", path, types[path], want)
		}
	}
	for _, f := range []string{"layers/bases.qml", "layers/bases.sld", "layers/bases.qgz"} {
		readFile(f) // the QGIS style and project the GeoJSON download links to
	}
	if pm := readFile("tiles/bases.pmtiles"); len(pm) < 127 || string(pm[:7]) != "PMTiles" || pm[7] != 3 || pm[101] != 5 {
		t.Errorf("tiles/bases.pmtiles is not a PMTiles v3 archive to zoom 5: %q", pm[:min(len(pm), 102)])
	}
	var tj struct {
		Tiles   []string
		MaxZoom int
		Bounds  []float64
	}
	if err := json.Unmarshal(readFile("tiles/basemap.json"), &tj); err != nil || len(tj.Tiles) != 1 || tj.Tiles[0] != "pmtiles://https://maps.example.org/tiles/basemap.pmtiles/{z}/{x}/{y}" || tj.MaxZoom != 5 || len(tj.Bounds) != 4 {
		t.Errorf("tiles/basemap.json does not point into the archive: %+v %v", tj, err)
	}
	// The country areas (330 KB of geometry) are drawn from tiles: the
	// exported map searches their names in files.
	if page := string(readFile("index.html")); !strings.Contains(page, `<meta name="citemap:static" content="/" data-tiles-maxzoom="5" data-version="1" data-tiled="countries">`) {
		t.Errorf("the exported map page does not declare the static site:\n%.600s", page)
	}
	if !strings.Contains(string(readFile("_headers")), "/layers/bases.geojson\n  Content-Type: application/geo+json") {
		t.Error("_headers does not give the layer download its content type")
	}

	// What the live server serves, to compare the static copy with.
	s := start(t, db)
	_, b := get(t, s.base+"/collections?f=json")
	var live struct {
		Collections []struct {
			ID        string
			ItemCount int
		}
	}
	if err := json.Unmarshal(b, &live); err != nil {
		t.Fatal(err)
	}
	if len(live.Collections) == 0 {
		t.Fatal("the live server lists no collections")
	}
	// The same but for the address its links (to the QGIS style) start with.
	exported := bytes.ReplaceAll(readFile("layers/bases.geojson"), []byte("https://maps.example.org"), []byte(s.base))
	if _, liveLayer := get(t, s.base+"/layers/bases.geojson"); !bytes.Equal(liveLayer, exported) {
		t.Error("exported layer differs from the served one")
	}

	// What a static host serves from the folder: real nginx.
	static := serveStatic(t, dir)
	fetch := func(path string, accept string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", static+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}
	expect := func(path, contentType string) []byte {
		t.Helper()
		res, body := fetch(path, "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), contentType) {
			t.Errorf("static %s: %d %s, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), contentType)
		}
		return body
	}

	page := expect("/", "text/html")
	if !bytes.Equal(page, readFile("index.html")) {
		t.Error("the static host's / is not the exported map page")
	}
	assets := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if _, err := os.Stat("../../frontend/dist/index.html"); err == nil && len(assets) == 0 {
		t.Errorf("the map page names no /assets/ files:\n%.400s", page)
	} else if err != nil {
		t.Log("the front end is not built (make frontend): the map page is the placeholder, with no assets to check")
	}
	for _, a := range assets {
		// The browser needs the right type for scripts and styles (nosniff).
		res, body := fetch(a[1], "")
		kind := strings.TrimPrefix(filepath.Ext(a[1]), ".")
		if kind == "js" {
			kind = "javascript"
		}
		if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.Contains(ct, kind) || !bytes.Equal(body, readFile(strings.TrimPrefix(a[1], "/"))) {
			t.Errorf("static %s: %d %s, want the exported file as %s", a[1], res.StatusCode, ct, kind)
		}
	}

	var coll struct {
		Collections []struct {
			ID        string
			ItemCount int
		}
	}
	if err := json.Unmarshal(expect("/collections.json", "application/json"), &coll); err != nil {
		t.Fatalf("static collections.json: %v", err)
	}
	if len(coll.Collections) != len(live.Collections) {
		t.Errorf("static collections.json lists %d collections, the server %d", len(coll.Collections), len(live.Collections))
	}
	checked := 0
	for i, c := range coll.Collections {
		if i < len(live.Collections) && (c.ID != live.Collections[i].ID || c.ItemCount != live.Collections[i].ItemCount) {
			t.Errorf("static collection %d is %s with %d items, the server's %s with %d", i, c.ID, c.ItemCount, live.Collections[i].ID, live.Collections[i].ItemCount)
		}
		var fc struct{ Features []json.RawMessage }
		if err := json.Unmarshal(expect("/layers/"+c.ID+".geojson", "application/geo+json"), &fc); err != nil {
			t.Errorf("static %s.geojson: %v", c.ID, err)
		}
		if len(fc.Features) != c.ItemCount {
			t.Errorf("static %s.geojson has %d features, the collection %d", c.ID, len(fc.Features), c.ItemCount)
		}
		if gp := expect("/layers/"+c.ID+".gpkg", "application/geopackage+sqlite3"); !bytes.HasPrefix(gp, []byte("SQLite format 3\x00")) {
			t.Errorf("static %s.gpkg is not a GeoPackage", c.ID)
		}
		if rows := strings.Count(string(expect("/layers/"+c.ID+".csv", "text/csv")), "\n"); rows < c.ItemCount+1 {
			t.Errorf("static %s.csv has %d lines for %d features", c.ID, rows, c.ItemCount)
		}
		expect("/collections/"+c.ID+".json", "application/json")
		checked++
	}
	if checked == 0 {
		t.Error("no collection was checked on the static host")
	}
	var feat struct{ ID string }
	if err := json.Unmarshal(expect("/collections/bases/items/gyumri-102nd-base.json", "application/json"), &feat); err != nil || feat.ID != "gyumri-102nd-base" {
		t.Errorf("static feature: %+v %v", feat, err)
	}
	expect("/collections/bases/items/gyumri-102nd-base.html", "text/html")
	expect("/sources/004_70ff61cf739652f9/", "text/html")
	expect("/passages/p004-06.json", "application/json")
	expect("/passages.csv", "text/csv")
	expect("/annotations.json", "application/json")
	expect("/ui/reader.js", "application/javascript")
	// A range server serves the tile archive in parts, as a PMTiles reader asks.
	req, err := http.NewRequest("GET", static+"/tiles/bases.pmtiles", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Range", "bytes=0-126")
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		head, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusPartialContent || !bytes.Equal(head, readFile("tiles/bases.pmtiles")[:127]) {
			t.Errorf("static tiles/bases.pmtiles bytes 0-126: %d, %d bytes", res.StatusCode, len(head))
		}
	}

	// Every link of every exported page leads to a file the static host
	// serves (the API's query links are rewritten to the files).
	localLink := regexp.MustCompile(`\s(?:href|src)="(/[^"#]*)`)
	links := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".html" {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range localLink.FindAllStringSubmatch(string(b), -1) {
			links[html.UnescapeString(m[1])] = p
		}
		return err
	})
	if len(links) < 50 {
		t.Errorf("the exported pages hold only %d distinct local links", len(links))
	}
	for link, page := range links {
		if strings.Contains(link, "?") {
			t.Errorf("%s links to %s: a static host ignores the query", page, link)
			continue
		}
		if res, _ := fetch(link, ""); res.StatusCode != 200 {
			t.Errorf("%s links to %s: static host answers %d", page, link, res.StatusCode)
		}
	}

	// On the live server the map asks for its data with query strings (f=json,
	// v=N), which a static host ignores; the exported page declares the site
	// static, so the map asks for these files instead.
	t.Run("map data requests on a static host (issue 14)", func(t *testing.T) {
		for _, path := range []string{"/collections.json", "/passages.json", "/sources.json",
			"/collections/bases/items/gyumri-102nd-base.json", "/layers/basemap.geojson"} {
			if res, body := fetch(path, "application/json, application/geo+json"); res.StatusCode != 200 || !json.Valid(body) {
				t.Errorf("a static host answers %s with %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
		if res, _ := fetch("/collections?f=json", ""); res.StatusCode == 200 {
			t.Log("this host serves a folder for a query URL; the exported map does not rely on it")
		}
	})

	t.Run("an export into a folder that holds files", func(t *testing.T) {
		before := readFile("index.html")
		stray := filepath.Join(dir, "stray.txt")
		if err := os.WriteFile(stray, []byte("not the site's"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, "export-site", dir, "--max-zoom", "0", "--base-url", "https://maps.example.org/citemap", "--db", db2)
		if code != 2 || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "--replace") {
			t.Errorf("export-site into a full folder: exit %d, %s; want 2 naming the folder and --replace", code, stderr)
		}
		if _, err := os.Stat(stray); err != nil || !bytes.Equal(readFile("index.html"), before) {
			t.Errorf("a refused export changed the folder: %v", err)
		}
		// --replace never deletes the database it reads.
		_, stderr, code = run(t, "export-site", filepath.Dir(db2), "--base-url", "https://maps.example.org", "--replace", "--db", db2)
		if _, err := os.Stat(db2); code != 2 || !strings.Contains(stderr, "would delete the database") || err != nil {
			t.Errorf("export-site --replace over the database's folder: exit %d, %s (database: %v)", code, stderr, err)
		}
		_, stderr, code = run(t, "export-site", dir, "--max-zoom", "0", "--base-url", "https://maps.example.org/citemap", "--replace", "--db", db2)
		if code != 0 {
			t.Fatalf("export-site --replace: exit %d, %s", code, stderr)
		}
		if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("--replace kept a file the export did not write: %v", err)
		}
		if page := string(readFile("index.html")); !strings.Contains(page, `<meta name="citemap:static" content="/citemap/" data-tiles-maxzoom="0" data-version="1" data-tiled="countries">`) {
			t.Errorf("the map page under /citemap does not say so:\n%.600s", page)
		}
		if src := string(readFile("sources/004_70ff61cf739652f9/index.html")); !strings.Contains(src, `href="/citemap/#feature=bases/gyumri-102nd-base"`) || strings.Contains(src, `href="/#`) {
			t.Errorf("the source page's links do not start with /citemap/")
		}
	})

	t.Run("export-site without a base URL", func(t *testing.T) {
		empty := t.TempDir()
		_, stderr, code := run(t, "export-site", empty, "--db", db2)
		if code != 2 || !strings.Contains(stderr, "--base-url") {
			t.Errorf("export-site without --base-url: exit %d, %s; want 2 naming --base-url", code, stderr)
		}
		for _, bad := range []string{"maps.example.org", "ftp://maps.example.org", "https://maps.example.org/?x=1"} {
			if _, stderr, code := run(t, "export-site", empty, "--base-url", bad, "--db", db2); code != 2 || !strings.Contains(stderr, bad) {
				t.Errorf("--base-url %s: exit %d, %s; want 2 naming it", bad, code, stderr)
			}
		}
		for _, bad := range [][]string{{"--page-size", "0"}, {"--page-size", "10001"}, {"--max-zoom", "17"}, {"--max-zoom", "-1"}} {
			args := append([]string{"export-site", empty, "--base-url", "https://maps.example.org", "--db", db2}, bad...)
			if _, stderr, code := run(t, args...); code != 2 || !strings.Contains(stderr, bad[0]) {
				t.Errorf("%s %s: exit %d, %s; want 2 naming it", bad[0], bad[1], code, stderr)
			}
		}
		if entries, _ := os.ReadDir(empty); len(entries) > 0 {
			t.Errorf("a refused export wrote %d entries", len(entries))
		}
	})
}
