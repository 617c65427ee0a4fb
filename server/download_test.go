package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/gpkg"
)

// downloadServer serves the mini dataset and a synthetic layer of n
// features from a real bbolt file, streaming every download of a layer
// over maxWhole features. wrap, when set, wraps the store the server reads.
func downloadServer(t *testing.T, n, maxWhole int, wrap func(layers.Store) layers.Store) (*Server, *bolt.Store) {
	t.Helper()
	store := syntheticStore(t, n)
	var st layers.Store = store
	if wrap != nil {
		st = wrap(store)
	}
	s, err := New(st, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: maxWhole})
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}

// TestStreamedDownloadsAreTheLayer: CSV and GeoPackage downloads of layers
// over the limit are streamed from the stored bodies and hold what the
// whole decoded layer encodes to (the CSV byte for byte; the GeoPackage
// row for row, its evidence and style included), with no layer decoded.
// They carry the layer's revision as ETag, answer If-None-Match with 304,
// and are gzipped when asked.
func TestStreamedDownloadsAreTheLayer(t *testing.T) {
	s, store := downloadServer(t, 2*streamChunk+7, 1, nil)
	ctx := context.Background()
	evidence, err := layers.EvidenceTable(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"synthetic", "bases"} {
		sn, err := layers.LoadSnapshot(ctx, store, id)
		if err != nil {
			t.Fatal(err)
		}
		wantCSV, err := layers.EncodeCSV(sn)
		if err != nil {
			t.Fatal(err)
		}
		res, got := do(t, s, "GET", "/layers/"+id+".csv")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != mimeCSV || !strings.Contains(res.Header.Get("Content-Disposition"), id+".csv") {
			t.Fatalf("%s.csv: %d %v", id, res.StatusCode, res.Header)
		}
		if !bytes.Equal(got, wantCSV) {
			t.Errorf("%s.csv: streamed %d bytes, the decoded layer makes %d", id, len(got), len(wantCSV))
		}

		wantGPKG, err := gpkg.Encode(ctx, sn, evidence, gpkg.Options{BaseURL: "http://example.com"})
		if err != nil {
			t.Fatal(err)
		}
		res, got = do(t, s, "GET", "/layers/"+id+".gpkg")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != mimeGPKG {
			t.Fatalf("%s.gpkg: %d %s", id, res.StatusCode, got)
		}
		if g, w := dumpGPKG(t, got), dumpGPKG(t, wantGPKG); g != w {
			t.Errorf("%s.gpkg differs from the decoded layer's:\n%.2000s\nwant\n%.2000s", id, g, w)
		}
		if id == "bases" && !strings.Contains(dumpGPKG(t, got), "gyumri-102nd-base|p004-") {
			t.Error("bases.gpkg: no evidence rows")
		}

		// Cached by the client: ETag, 304, and gzip on the fly.
		etag := res.Header.Get("ETag")
		rev := mustLayer(t, store, id).Revision
		if etag != `"`+rev+`"` || res.Header.Get("Cache-Control") == "" {
			t.Errorf("%s.gpkg: ETag %q, Cache-Control %q, want the revision %q", id, etag, res.Header.Get("Cache-Control"), rev)
		}
		for _, ext := range []string{"csv", "gpkg", "geojson"} {
			path := "/layers/" + id + "." + ext
			res, b := do(t, s, "GET", path, "If-None-Match", `"`+rev+`"`)
			if res.StatusCode != 304 || len(b) != 0 {
				t.Errorf("%s If-None-Match: %d, %d bytes", path, res.StatusCode, len(b))
			}
			res, b = do(t, s, "GET", path, "If-None-Match", `"other"`)
			if res.StatusCode != 200 || len(b) == 0 {
				t.Errorf("%s stale If-None-Match: %d", path, res.StatusCode)
			}
			plain := b
			res, gz := do(t, s, "GET", path, "Accept-Encoding", "gzip")
			if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") != `"`+rev+`-gz"` || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("%s gzip: %v", path, res.Header)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			unz, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if ext != "gpkg" && !bytes.Equal(unz, plain) {
				t.Errorf("%s: the gzip body differs from the plain one", path)
			}
			if ext == "gpkg" && dumpGPKG(t, unz) != dumpGPKG(t, plain) {
				t.Errorf("%s: the gzip body differs from the plain one", path)
			}
		}
	}
	if _, ok := s.snapshots.get("synthetic@" + mustLayer(t, store, "synthetic").Revision); ok {
		t.Error("a download decoded the layer")
	}
}

// TestSmallDownloadsDecodeNothing: the downloads kept in the body cache, and
// the QGIS style and project, are made from the store's bodies and layer
// record too: no snapshot is built for them.
func TestSmallDownloadsDecodeNothing(t *testing.T) {
	s, store := downloadServer(t, 50, 1000, nil)
	ctx := context.Background()
	sn, err := layers.LoadSnapshot(ctx, store, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	want, err := layers.EncodeCSV(sn)
	if err != nil {
		t.Fatal(err)
	}
	if res, got := do(t, s, "GET", "/layers/synthetic.csv"); res.StatusCode != 200 || !bytes.Equal(got, want) {
		t.Errorf("synthetic.csv: %d, %d bytes, want %d", res.StatusCode, len(got), len(want))
	}
	st := gpkg.StyleOf(sn.Layer, sn.Types.Class(), sn.PropertyNames())
	if res, got := do(t, s, "GET", "/layers/synthetic.qml"); res.StatusCode != 200 || string(got) != st.QML {
		t.Errorf("synthetic.qml: %d %.200s", res.StatusCode, got)
	}
	if res, got := do(t, s, "GET", "/layers/synthetic.sld"); res.StatusCode != 200 || string(got) != st.SLD {
		t.Errorf("synthetic.sld: %d %.200s", res.StatusCode, got)
	}
	wantQGZ, err := gpkg.Project(sn.Table())
	if err != nil {
		t.Fatal(err)
	}
	if res, got := do(t, s, "GET", "/layers/synthetic.qgz"); res.StatusCode != 200 || !bytes.Equal(got, wantQGZ) {
		t.Errorf("synthetic.qgz: %d, %d bytes, want %d", res.StatusCode, len(got), len(wantQGZ))
	}
	if res, got := do(t, s, "GET", "/layers/synthetic.gpkg"); res.StatusCode != 200 || !strings.Contains(dumpGPKG(t, got), "f-00049") {
		t.Errorf("synthetic.gpkg: %d", res.StatusCode)
	}
	if _, ok := s.snapshots.get("synthetic@" + mustLayer(t, store, "synthetic").Revision); ok {
		t.Error("a download decoded the layer")
	}
}

// failing is a store whose data versions fail a layer's index read after
// the first `after` of them: a disk error in the middle of a download.
type failing struct {
	*bolt.Store
	after int32
	reads *atomic.Int32
}

var errDisk = errors.New("read error on the store's disk")

func (f failing) At(ctx context.Context, v int) (layers.Reader, error) {
	r, err := f.Store.At(ctx, v)
	if err != nil {
		return nil, err
	}
	return failingReader{Reader: r, ix: r.(layers.Indexed), f: f}, nil
}

type failingReader struct {
	layers.Reader
	ix layers.Indexed
	f  failing
}

func (r failingReader) ReadIndex(ctx context.Context, id string, fn func(layers.LayerIndex) error) error {
	if r.f.reads.Add(1) > r.f.after {
		return errDisk
	}
	return r.ix.ReadIndex(ctx, id, fn)
}

// TestStreamErrorAbortsTheTransfer: when reading the store fails once a
// streamed download has begun, the client sees a failed transfer (the
// connection closes before the body's end), never a clean short file, with
// or without gzip. Over real HTTP: app.Test does not show how the
// connection ends.
func TestStreamErrorAbortsTheTransfer(t *testing.T) {
	for _, ext := range []string{"csv", "geojson"} {
		for _, enc := range []string{"", "gzip"} {
			t.Run(ext+"/"+enc, func(t *testing.T) {
				reads := &atomic.Int32{}
				reads.Store(-1 << 30) // no failure while the server starts
				s, _ := downloadServer(t, 3*streamChunk, 10, func(st layers.Store) layers.Store {
					return failing{Store: st.(*bolt.Store), after: 2, reads: reads}
				})
				base := listen(t, s)
				reads.Store(0)
				req, err := http.NewRequest("GET", base+"/layers/synthetic."+ext, nil)
				if err != nil {
					t.Fatal(err)
				}
				// Set by hand, so the client hands back the raw body.
				req.Header.Set("Accept-Encoding", enc)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // aborted before the first byte reached the client
				}
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				if err == nil {
					t.Fatalf("%d: the transfer ended cleanly after %d bytes (%q)", res.StatusCode, len(b), res.Header)
				}
				if res.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("%d: %v", res.StatusCode, err)
				}
				if reads.Load() <= 2 {
					t.Errorf("the store was read %d times: the failure was not reached", reads.Load())
				}
			})
		}
	}
	// The same failure before the download begins is a 500 problem.
	reads := &atomic.Int32{}
	reads.Store(-1 << 30)
	s, _ := downloadServer(t, 3*streamChunk, 10, func(st layers.Store) layers.Store {
		return failing{Store: st.(*bolt.Store), after: 0, reads: reads}
	})
	reads.Store(0)
	res, b := do(t, s, "GET", "/layers/synthetic.gpkg")
	if res.StatusCode != 500 || !regexp.MustCompile(`problem`).MatchString(res.Header.Get("Content-Type")) {
		t.Errorf("gpkg with a failing store: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

// dumpGPKG lists every table of a GeoPackage with its rows in rowid order,
// timestamps blanked: two files with the same dump hold the same data.
func dumpGPKG(t *testing.T, file []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.gpkg")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatalf("not a GeoPackage: %v", err)
	}
	var tables, ddl []string
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			t.Fatal(err)
		}
		tables, ddl = append(tables, n), append(ddl, s)
	}
	rows.Close()
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z`)
	var out strings.Builder
	for i, tb := range tables {
		fmt.Fprintf(&out, "== %s\n%s\n", tb, ddl[i])
		rs, err := db.Query(fmt.Sprintf(`SELECT * FROM "%s" ORDER BY rowid`, tb))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if i > 0 {
					out.WriteByte('|')
				}
				switch x := v.(type) {
				case []byte:
					v = fmt.Sprintf("%x", x)
				case time.Time:
					v = "TIME"
				}
				out.WriteString(stamp.ReplaceAllString(fmt.Sprint(v), "TIME"))
			}
			out.WriteByte('\n')
		}
		rs.Close()
	}
	return out.String()
}

// TestOgrinfoOpensStreamedDownloads: GDAL reads the streamed GeoPackage
// (features and evidence) and CSV of a layer over the limit, every feature,
// over real HTTP.
func TestOgrinfoOpensStreamedDownloads(t *testing.T) {
	const ogrinfo = "/usr/bin/ogrinfo"
	if testing.Short() {
		t.Skip("drives an outside program; skipped in -short mode (make check)")
	}
	if _, err := os.Stat(ogrinfo); err != nil {
		if os.Getenv("CITEMAP_SKIP_GIS") != "" {
			t.Skipf("%s missing and CITEMAP_SKIP_GIS set", ogrinfo)
		}
		t.Fatalf("%s is missing: run `make deps` (installs gdal-bin and python3-qgis)", ogrinfo)
	}
	const n = 2*streamChunk + 7
	s, _ := downloadServer(t, n, 1, nil)
	base := listen(t, s)
	dir := t.TempDir()
	count := regexp.MustCompile(`Feature Count: (\d+)`)
	for _, tt := range []struct {
		file, layer string
		want        int
		args        []string
	}{
		{"synthetic.gpkg", "synthetic", n, nil},
		{"synthetic.csv", "", n, []string{"-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO"}},
		{"bases.gpkg", "bases_evidence", 2, nil},
	} {
		res, err := http.Get(base + "/layers/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", tt.file, res.StatusCode, err)
		}
		f := filepath.Join(dir, tt.file)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{"-so", "-al"}, tt.args...), f)
		if tt.layer != "" {
			args = append(args, tt.layer)
		}
		out, err := exec.Command(ogrinfo, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", tt.file, err, out)
		}
		m := count.FindSubmatch(out)
		if m == nil || string(m[1]) != fmt.Sprint(tt.want) {
			t.Errorf("ogrinfo %s %s: want %d features:\n%s", tt.file, tt.layer, tt.want, out)
		}
		if tt.layer == "synthetic" && !strings.Contains(string(out), "Geometry: Polygon") {
			t.Errorf("ogrinfo %s: not typed as polygons:\n%s", tt.file, out)
		}
	}
}
