package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/citemap/citemap/layers"
)

// keptGPKGs lists the GeoPackages kept in dir.
func keptGPKGs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A large layer's GeoPackage is built once per revision and address and
// kept: the second request sends the same file, a pinned old version or
// another address gets its own, a new revision replaces the file, and the
// folder never holds more than one per layer.
func TestLargeGeoPackagesAreKeptPerRevision(t *testing.T) {
	n := 2*streamChunk + 7
	store := syntheticStore(t, n)
	dir := filepath.Join(t.TempDir(), "downloads")
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 1, DownloadDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder exists before any GeoPackage is built: %v", err)
	}
	get := func(target string) string {
		t.Helper()
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", u.RequestURI(), nil)
		if u.Host != "" {
			req.Host = u.Host
		}
		res, b := roundTrip(t, s, req)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", target, res.StatusCode, b)
		}
		return dumpGPKG(t, b)
	}
	one := func() os.FileInfo {
		t.Helper()
		kept := keptGPKGs(t, dir)
		if len(kept) != 1 {
			t.Fatalf("kept GeoPackages: %v, want one", kept)
		}
		fi, err := os.Stat(kept[0])
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}

	first := get("/layers/synthetic.gpkg")
	if !strings.Contains(first, "f-00000") {
		t.Fatalf("the GeoPackage lacks the first feature:\n%.500s", first)
	}
	built := one()
	if again := get("/layers/synthetic.gpkg"); again != first {
		t.Error("the second download differs from the first")
	}
	if !os.SameFile(built, one()) {
		t.Error("the second request built the GeoPackage again")
	}

	// Evidence rows link to the address (this layer cites nothing, so the
	// content is the same): another host's request builds its own file.
	if other := get("http://maps.example.org/layers/synthetic.gpkg"); other != first {
		t.Error("the GeoPackage for another address differs")
	}
	if os.SameFile(built, one()) {
		t.Error("a request from another address got the first address's file")
	}

	// Requests at once for the same file: each gets it whole, and one file
	// is kept.
	var wg sync.WaitGroup
	bodies := make([][]byte, 4)
	errs := make([]error, len(bodies))
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.App().Test(httptest.NewRequest("GET", "/layers/synthetic.gpkg", nil), -1)
			if err == nil {
				bodies[i], err = io.ReadAll(res.Body)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if errs[i] != nil {
			t.Fatalf("concurrent request %d: %v", i, errs[i])
		}
		if dumpGPKG(t, b) != first {
			t.Errorf("concurrent request %d got another GeoPackage", i)
		}
	}
	one()

	// A new revision: one feature fewer.
	v1, err := store.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), &layers.Import{Layers: []layers.LayerImport{synthetic(n - 1)}}, nil); err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("f-%05d", n-1)
	now := get("/layers/synthetic.gpkg")
	if now == first || strings.Contains(now, last) {
		t.Errorf("after the import the GeoPackage still holds %s", last)
	}
	one()
	// The pinned first version is the first file's content, built again.
	if pinned := get("/layers/synthetic.gpkg?v=" + itoa(v1)); pinned != first {
		t.Error("the pinned first version's GeoPackage differs from the first download")
	}
	one()
}

// A kept folder is emptied of an earlier run's GeoPackages at start (their
// revisions are not known), and a path that is not a folder is refused.
func TestDownloadDirAtStart(t *testing.T) {
	store := syntheticStore(t, 10)
	dir := t.TempDir()
	stale := filepath.Join(dir, "0123.gpkg")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{stale, other, filepath.Join(dir, "build-1", "layer.gpkg")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	if _, err := New(store, Config{Assets: assets, DownloadDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an earlier run's GeoPackage is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "build-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an earlier run's build folder is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file the server did not write was removed: %v", err)
	}
	if _, err := New(store, Config{Assets: assets, DownloadDir: other}); err == nil || !strings.Contains(err.Error(), "download folder") {
		t.Errorf("a file as the download folder: %v", err)
	}
}

// gpkgFiles on its own: a request waiting for another's build gives up
// when its context ends, and a failed build keeps the file kept before
// and leaves nothing behind.
func TestGPKGFilesWaitAndFailure(t *testing.T) {
	dir := t.TempDir()
	g, err := newGPKGFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	write := func(s string) func(context.Context, string) error {
		return func(_ context.Context, path string) error { return os.WriteFile(path, []byte(s), 0o644) }
	}
	read := func(f *os.File, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	never := func(context.Context, string) error {
		t.Error("built when the kept file should be sent")
		return nil
	}

	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan string)
	go func() {
		f, err := g.open(ctx, "a", "r1", func(ctx context.Context, path string) error {
			close(started)
			<-release
			return write("one")(ctx, path)
		})
		if err != nil {
			done <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		done <- string(b)
	}()
	<-started
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.open(gone, "a", "r1", never); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose request ended: %v, want context.Canceled", err)
	}
	close(release)
	if got := <-done; got != "one" {
		t.Fatalf("the build: %q", got)
	}
	if got := read(g.open(ctx, "a", "r1", never)); got != "one" {
		t.Errorf("kept file: %q", got)
	}

	if _, err := g.open(ctx, "a", "r2", func(context.Context, string) error { return errors.New("disk full") }); err == nil || err.Error() != "disk full" {
		t.Errorf("a failed build: %v", err)
	}
	if got := read(g.open(ctx, "a", "r1", never)); got != "one" {
		t.Errorf("after a failed build of r2, r1's file: %q", got)
	}
	if got := read(g.open(ctx, "a", "r2", write("two"))); got != "two" {
		t.Errorf("r2: %q", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".gpkg") {
		t.Errorf("the folder holds %v, want r2's file alone", entries)
	}
}

// A build goes on when the request that started it gives up (a GeoPackage
// of a million polygons takes longer than a request may): the next request
// for the same revision sends its file without building it again.
func TestGPKGBuildOutlivesItsRequest(t *testing.T) {
	g, err := newGPKGFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	builds := 0
	slow := func(ctx context.Context, path string) error {
		builds++
		close(started)
		<-release
		if err := ctx.Err(); err != nil {
			return err // the build's own context must outlive the request's
		}
		return os.WriteFile(path, []byte("built"), 0o644)
	}
	req, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := g.open(req, "big", "r1", slow)
		errc <- err
	}()
	<-started
	cancel() // the request's deadline passes
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the request that gave up: %v, want context.Canceled", err)
	}
	close(release)
	f, err := g.open(context.Background(), "big", "r1", func(context.Context, string) error {
		t.Error("built again")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "built" || builds != 1 {
		t.Errorf("the next request: %q %v, %d builds", b, err, builds)
	}
}
