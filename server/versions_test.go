package server

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	_ "modernc.org/sqlite"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

// A pinned data version pins its evidence: after an import that shortens
// one quote, every route family answers v=1 byte for byte as before, v=2
// shows the new quote, and every response that shows the quote changes its
// ETag, so a client revalidating the old one gets the new body.
func TestPinnedVersionPinsEvidence(t *testing.T) {
	ctx := context.Background()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	bundled := func() *layers.Dataset {
		d, err := layers.ReadDir(os.DirFS("../data"), ".")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if _, err := store.Import(ctx, bundled().Import(), nil); err != nil {
		t.Fatal(err)
	}

	// The bundled p004-06, cut after "the Gyumri Base", re-anchored.
	d := bundled()
	i := slices.IndexFunc(d.Passages, func(p layers.Passage) bool { return p.ID == "p004-06" })
	if i < 0 {
		t.Fatal("no passage p004-06 in the bundled data")
	}
	old := d.Passages[i]
	src := d.Sources[slices.IndexFunc(d.Sources, func(s layers.Source) bool { return s.ID == old.Source })]
	cut, _, ok := strings.Cut(old.Exact, " is interpreted")
	if !ok {
		t.Fatalf("p004-06 reads %q", old.Exact)
	}
	sel, err := layers.Anchor(src.Text, cut)
	if err != nil {
		t.Fatal(err)
	}
	d.Passages[i].Selector = sel

	type route struct {
		family, path string
		showsQuote   bool
	}
	routes := []route{
		{"items", "/collections/bases/items?f=json", false},
		{"items html", "/collections/bases/items?f=html", false},
		{"item and evidence", "/collections/bases/items/gyumri-102nd-base?f=json", true},
		{"item html", "/collections/bases/items/gyumri-102nd-base?f=html", true},
		{"passages", "/passages", true},
		{"passage", "/passages/p004-06", true},
		{"sources", "/sources?f=json", false},
		{"source json", "/sources/" + src.ID + "?f=json", true},
		{"source reader", "/sources/" + src.ID + "?f=html", true},
		{"annotations", "/annotations", true},
		{"passages.csv", "/passages.csv", true},
		{"geojson download", "/layers/bases.geojson", false},
		{"embed", "/embed?layers=bases", false},
		{"static map", "/static/map.svg?layers=bases&width=400&height=300", false},
		{"tile", "/tiles/bases/5/19/12.mvt", false},
	}
	pinned := func(path, v string) string {
		if strings.Contains(path, "?") {
			return path + "&v=" + v
		}
		return path + "?v=" + v
	}
	type answer struct {
		body []byte
		etag string
	}
	get := func(s *Server, path string) answer {
		t.Helper()
		res, b := do(t, s, "GET", path)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return answer{b, res.Header.Get("ETag")}
	}

	before := New1(t, store)
	v1 := map[string]answer{}
	for _, r := range routes {
		v1[r.family] = get(before, pinned(r.path, "1"))
	}
	gpkg1 := evidenceRows(t, get(before, "/layers/bases.gpkg?v=1").body)

	if v, err := store.Import(ctx, d.Import(), nil); err != nil || v != 2 {
		t.Fatalf("second import = %d, %v", v, err)
	}
	// The server that answered before (its caches warm) and a new one.
	after := New1(t, store)
	for _, r := range routes {
		t.Run(r.family, func(t *testing.T) {
			for name, s := range map[string]*Server{"same server": before, "new server": after} {
				a1 := get(s, pinned(r.path, "1"))
				if !bytes.Equal(untimed(a1.body), untimed(v1[r.family].body)) {
					t.Errorf("%s: v=1 changed after the import", name)
				}
				if a1.etag != v1[r.family].etag {
					t.Errorf("%s: v=1 ETag %s, was %s", name, a1.etag, v1[r.family].etag)
				}
				a2 := get(s, pinned(r.path, "2"))
				if !r.showsQuote {
					continue
				}
				if bytes.Equal(a2.body, a1.body) || a2.etag == a1.etag || a2.etag == "" {
					t.Errorf("%s: v=2 shows the same body or ETag (%s) as v=1", name, a2.etag)
				}
				if !bytes.Contains(a2.body, []byte(jsonish(cut))) && !bytes.Contains(a2.body, []byte(cut)) {
					t.Errorf("%s: v=2 does not show the new quote", name)
				}
				// A client holding v=1's tag gets v=2's body, not a 304.
				res, _ := do(t, s, "GET", pinned(r.path, "2"), "If-None-Match", v1[r.family].etag)
				if res.StatusCode != 200 {
					t.Errorf("%s: v=2 with v=1's ETag: %d", name, res.StatusCode)
				}
				// And its own tag is a 304.
				if res, _ := do(t, s, "GET", pinned(r.path, "2"), "If-None-Match", a2.etag); res.StatusCode != 304 {
					t.Errorf("%s: v=2 with its own ETag: %d, want 304", name, res.StatusCode)
				}
			}
		})
	}
	t.Run("gpkg evidence", func(t *testing.T) {
		for name, s := range map[string]*Server{"same server": before, "new server": after} {
			a1 := get(s, "/layers/bases.gpkg?v=1")
			if got := evidenceRows(t, a1.body); !slices.Equal(got, gpkg1) {
				t.Errorf("%s: v=1 evidence table changed:\n%v\nwas\n%v", name, got, gpkg1)
			}
			a2 := get(s, "/layers/bases.gpkg?v=2")
			rows := evidenceRows(t, a2.body)
			if !slices.Contains(rows, "gyumri-102nd-base|p004-06|"+cut) || slices.Contains(rows, "gyumri-102nd-base|p004-06|"+old.Exact) {
				t.Errorf("%s: v=2 evidence table does not show the new quote only", name)
			}
			if a2.etag == a1.etag {
				t.Errorf("%s: the GeoPackage kept its ETag %s with a changed quote", name, a1.etag)
			}
		}
	})
}

var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

// untimed blanks an items page's timeStamp: when the page was built, not
// what the data version holds.
func untimed(b []byte) []byte { return timeStamp.ReplaceAll(b, []byte(`"timeStamp":""`)) }

// New1 is a server on store without warm caches.
func New1(t *testing.T, store layers.Store) *Server {
	t.Helper()
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	s, err := New(store, Config{Assets: assets})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jsonish is s as encoding/json writes it inside a string.
func jsonish(s string) string {
	return strings.NewReplacer(`"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(s)
}

// evidenceRows reads feature|passage|exact of every row of the bases
// GeoPackage's evidence table.
func evidenceRows(t *testing.T, gpkg []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bases.gpkg")
	if err := os.WriteFile(path, gpkg, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT feature_id, passage_id, quote FROM bases_evidence ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f, p, e string
		if err := rows.Scan(&f, &p, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, f+"|"+p+"|"+e)
	}
	if len(out) == 0 {
		t.Fatal("empty evidence table")
	}
	return out
}

// A source's metadata is pinned too: the sources list, the source and the
// oEmbed answer for it show what each version held.
func TestPinnedVersionPinsSourceMetadata(t *testing.T) {
	s := newServer(t)
	store := s.store
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	d.Sources[0].Title = "A title given later"
	if v, err := store.Import(context.Background(), d.Import(), nil); err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	for _, tt := range []struct {
		path, v, want string
	}{
		{"/sources?f=json", "1", `"title":""`},
		{"/sources?f=json", "2", `"title":"A title given later"`},
		{"/sources/s004?f=json", "1", `"label":"Untitled: `},
		{"/sources/s004?f=json", "2", `"label":"A title given later"`},
		{"/sources/s004?f=html", "1", `Untitled: `},
		{"/sources/s004?f=html", "2", `A title given later`},
		{"/oembed?url=" + url.QueryEscape("http://example.com/sources/s004?v=1"), "", `Map of the places in Untitled`},
		{"/oembed?url=" + url.QueryEscape("http://example.com/sources/s004?v=2"), "", `Map of the places in A title given later`},
	} {
		path := tt.path
		if tt.v != "" {
			path += "&v=" + tt.v
		}
		res, b := do(t, s, "GET", path)
		if res.StatusCode != 200 || !strings.Contains(string(b), tt.want) {
			t.Errorf("GET %s: %d, want %q in\n%.400s", path, res.StatusCode, tt.want, b)
		}
	}
}
