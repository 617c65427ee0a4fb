package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

func newServer(t *testing.T) *Server { return newServerT(t) }

// newServerT serves the mini test dataset from a real bbolt file.
func newServerT(t testing.TB) *Server {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	s, err := New(store, Config{Assets: assets})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testFS() fs.FS { return os.DirFS("../layers/testdata/mini") }

func do(t *testing.T, s *Server, method, target string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return roundTrip(t, s, req)
}

// roundTrip answers req through the server's app and reads the whole body.
func roundTrip(t *testing.T, s *Server, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestHealth(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/healthz")
	if res.StatusCode != 200 || decode(t, b)["status"] != "ok" {
		t.Fatalf("healthz = %d %s", res.StatusCode, b)
	}
}

func TestCollections(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/collections?f=json")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	var body struct {
		Collections []struct {
			ID        string
			Title     string
			ItemCount int
			Extent    struct {
				Spatial struct{ BBox [][4]float64 }
			}
			Links []link
		}
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Collections) != 2 || body.Collections[0].ID != "bases" || body.Collections[0].ItemCount != 1 {
		t.Fatalf("collections = %+v", body.Collections)
	}
	c := body.Collections[0]
	if c.Extent.Spatial.BBox[0] != [4]float64{43.84635, 40.79305, 43.84635, 40.79305} {
		t.Errorf("bbox = %v", c.Extent.Spatial.BBox)
	}
	if len(c.Links) == 0 {
		t.Error("the collection has no links")
	}
	for _, l := range c.Links {
		if !strings.HasPrefix(l.Href, "http://example.com/") {
			t.Errorf("link %q is not absolute", l.Href)
		}
	}
}

func TestLayerDownload(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/layers/bases.geojson")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="bases.geojson"` {
		t.Errorf("content disposition %q", cd)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	plainBody := b
	fc := decode(t, b)
	if fc["type"] != "FeatureCollection" || len(fc["bbox"].([]any)) != 4 {
		t.Fatalf("body = %s", b)
	}
	f := fc["features"].([]any)[0].(map[string]any)
	props := f["properties"].(map[string]any)
	if f["id"] != "gyumri-102nd-base" || props["source_count"] != 1.0 || props["passage_ids"] != "p004-01;p004-02" {
		t.Errorf("feature = %v", f)
	}
	if _, ok := props["claims"]; ok {
		t.Error("claims leaked into the flat properties")
	}

	// Conditional request.
	res, b = do(t, s, "GET", "/layers/bases.geojson", "If-None-Match", etag)
	if res.StatusCode != 304 || len(b) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", res.StatusCode, len(b))
	}
	res, _ = do(t, s, "GET", "/layers/bases.geojson", "If-None-Match", `"other"`)
	if res.StatusCode != 200 {
		t.Errorf("stale If-None-Match: status %d", res.StatusCode)
	}

	// gzip when asked, with the same content.
	res, gz := do(t, s, "GET", "/layers/bases.geojson", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") == etag {
		t.Fatalf("gzip: encoding %q, etag %q", res.Header.Get("Content-Encoding"), res.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, plainBody) {
		t.Error("gzip body differs from the plain body")
	}
	res, _ = do(t, s, "GET", "/layers/bases.geojson", "Accept-Encoding", "gzip;q=0")
	if res.Header.Get("Content-Encoding") == "gzip" {
		t.Error("gzip sent although q=0")
	}
}

func TestLayerBodyEncodedOncePerRevision(t *testing.T) {
	s := newServer(t)
	do(t, s, "GET", "/layers/bases.geojson")
	l, _ := s.store.Layer(context.Background(), "bases")
	first, _ := s.bodies.get("geojson:bases@" + l.Revision + "|http://example.com")
	do(t, s, "GET", "/layers/bases.geojson")
	if again, _ := s.bodies.get("geojson:bases@" + l.Revision + "|http://example.com"); first == nil || again != first {
		t.Error("body re-encoded for an unchanged revision")
	}
}

func TestProblems(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		target string
		status int
		detail string
	}{
		{"/layers/nope.geojson", 404, `layer "nope" does not exist`},
		{"/layers/bases.shp", 404, "no download"},
		{"/collections/nope", 404, `layer "nope" does not exist`},
		{"/collections/bases/items/nope", 404, `feature "nope" does not exist`},
		{"/sources/nope", 404, `source "nope" does not exist`},
		{"/passages/nope", 404, `passage "nope" does not exist`},
		{"/no/such/route", 404, "no route for GET /no/such/route"},
		{"/collections?f=xml", 400, "f=xml is not a known format"},
		{"/collections?bogus=1", 400, `unknown query parameter "bogus"`},
		{"/layers/bases.geojson?x=1", 400, `unknown query parameter "x"`},
		{"/annotations?page=-1", 400, "page=-1 must be a whole number from 0"},
		{"/annotations?page=99", 400, "past the last page"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, b := do(t, s, "GET", tt.target)
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			p := decode(t, b)
			if p["status"] != float64(tt.status) || p["title"] == "" || !strings.Contains(p["detail"].(string), tt.detail) {
				t.Errorf("problem = %s, want detail containing %q", b, tt.detail)
			}
		})
	}
	// The server still answers after every error.
	if res, _ := do(t, s, "GET", "/healthz"); res.StatusCode != 200 {
		t.Error("healthz failed after the errors")
	}
}

func TestRootNegotiation(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if res.StatusCode != 200 || !strings.Contains(string(b), "<title>map</title>") {
		t.Errorf("browser got %d %s", res.StatusCode, b)
	}
	for _, h := range [][]string{{"Accept", "application/json"}, {"Accept", "*/*"}, {}} {
		res, b := do(t, s, "GET", "/", h...)
		if res.StatusCode != 200 || decode(t, b)["links"] == nil {
			t.Errorf("Accept %v got %d %s", h, res.StatusCode, b)
		}
	}
	res, b = do(t, s, "GET", "/?f=json", "Accept", "text/html")
	if decode(t, b)["links"] == nil {
		t.Errorf("f=json with Accept text/html got %s", b)
	}
}

func TestItem(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/collections/bases/items/gyumri-102nd-base")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("status %d %s", res.StatusCode, b)
	}
	f := decode(t, b)
	var described int
	for _, l := range f["links"].([]any) {
		if l.(map[string]any)["rel"] == "describedby" {
			described++
		}
	}
	if f["id"] != "gyumri-102nd-base" || described != 2 {
		t.Errorf("item = %s", b)
	}
	ev := f["evidence"].([]any)
	if len(ev) != 2 {
		t.Fatalf("evidence = %v", ev)
	}
	e := ev[1].(map[string]any)
	if e["relation"] != "contradicts" || !strings.HasPrefix(e["exact"].(string), "However, these claims were swiftly denied by Armenia") ||
		!strings.HasSuffix(e["context_href"].(string), "/sources/s004#passage-p004-02") {
		t.Errorf("evidence[1] = %v", e)
	}
}

func TestSourcesAndPassages(t *testing.T) {
	s := newServer(t)
	_, b := do(t, s, "GET", "/sources?f=json")
	srcs := decode(t, b)["sources"].([]any)
	if len(srcs) != 1 || srcs[0].(map[string]any)["passage_count"] != 2.0 {
		t.Fatalf("sources = %s", b)
	}
	_, b = do(t, s, "GET", "/sources/s004?f=json")
	src := decode(t, b)
	text := src["text"].(string)
	if n := len(src["passages"].([]any)); n != 2 {
		t.Errorf("source s004 lists %d passages, want its 2", n)
	}
	for _, p := range src["passages"].([]any) {
		p := p.(map[string]any)
		start, end := int(p["start"].(float64)), int(p["end"].(float64))
		if got := string([]rune(text)[start:end]); got != p["exact"] {
			t.Errorf("passage %s: text at %d-%d is %q, not its quote", p["id"], start, end, got)
		}
	}

	_, b = do(t, s, "GET", "/passages?f=json")
	if all := decode(t, b)["passages"].([]any); len(all) != 2 || len(all[0].(map[string]any)["features"].([]any)) != 2 {
		t.Errorf("passages = %s", b)
	}

	// The way back: a passage names every feature it backs, and how.
	_, b = do(t, s, "GET", "/passages/p004-02?f=json")
	p := decode(t, b)
	feats := p["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("features = %v", feats)
	}
	f := feats[0].(map[string]any)
	claim := f["claims"].([]any)[0].(map[string]any)
	if f["feature"] != "gyumri-102nd-base" || claim["relation"] != "contradicts" || !strings.HasSuffix(f["href"].(string), "/collections/bases/items/gyumri-102nd-base") {
		t.Errorf("passage = %s", b)
	}
}

func TestAnnotations(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/annotations")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	var coll struct {
		Type  string
		Total int
		First struct {
			Items []struct {
				Type   string
				Body   struct{ ID string }
				Target struct {
					Source   string
					Selector []map[string]any
				}
				Relation string `json:"citemap:relation"`
			}
		}
	}
	if err := json.Unmarshal(b, &coll); err != nil {
		t.Fatal(err)
	}
	if coll.Type != "AnnotationCollection" || coll.Total != 3 || len(coll.First.Items) != 3 {
		t.Fatalf("collection = %s", b)
	}
	a := coll.First.Items[0]
	if a.Type != "Annotation" || a.Body.ID != "http://example.com/collections/bases/items/gyumri-102nd-base" || a.Target.Source != "http://example.com/sources/s004" {
		t.Errorf("annotation = %+v", a)
	}
	if a.Target.Selector[0]["type"] != "TextQuoteSelector" || a.Target.Selector[1]["type"] != "TextPositionSelector" {
		t.Errorf("selectors = %v", a.Target.Selector)
	}
	_, b = do(t, s, "GET", "/annotations?page=0")
	if decode(t, b)["type"] != "AnnotationPage" {
		t.Errorf("page 0 = %s", b)
	}
}

func TestContentTypes(t *testing.T) {
	for name, want := range map[string]string{
		"a.woff2": "font/woff2", "x.mjs": "text/javascript; charset=utf-8", "s.css": "text/css; charset=utf-8",
		"Noto Sans Bold/0-255.pbf": "application/x-protobuf",
		"app.js":                   "text/javascript; charset=utf-8", "blob.unknownext": "application/octet-stream",
	} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%s) = %q, want %q", name, got, want)
		}
	}
}
