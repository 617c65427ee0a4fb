package server

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

func TestHTMLPages(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		target string
		want   []string
	}{
		{"/?f=html", []string{"citemap API", `href="http://example.com/collections"`, "QGIS"}},
		{"/conformance?f=html", []string{"ogcapi-features-1/1.0/conf/core"}},
		{"/collections?f=html", []string{`href="/collections/bases?f=html"`, "/layers/bases.gpkg"}},
		{"/collections/bases?f=html", []string{"Military bases", `/collections/bases/items?f=html`}},
		{"/collections/bases/items?f=html", []string{"Russian 102nd Military Base, Gyumri", `href="/#feature=bases/gyumri-102nd-base"`}},
		{"/collections/bases/items/gyumri-102nd-base?f=html", []string{"Evidence", "However, these claims were swiftly denied by Armenia", "contradicts"}},
		{"/collections/bases/queryables?f=html", []string{"<code>status</code>"}},
		{"/sources?f=html", []string{`href="/sources/s004"`}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, b := do(t, s, "GET", tt.target)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	// A browser asking for a collection by Accept gets HTML too.
	res, _ := do(t, s, "GET", "/collections", "Accept", "text/html")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("Accept text/html got %s", res.Header.Get("Content-Type"))
	}
}

func TestSourceReader(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/sources/s004", "Accept", "text/html")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	page := string(b)
	for _, w := range []string{
		`id="passage-p004-01"`, `id="passage-p004-02"`,
		`<mark data-passages="p004-02">However, these claims were swiftly denied by Armenia`,
		`href="/#feature=bases/gyumri-102nd-base"`, `/ui/reader.js`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("reader lacks %q", w)
		}
	}
	// Every paragraph of the source is there, in order.
	if n := strings.Count(page, "<p>"); n < 20 {
		t.Errorf("%d paragraphs", n)
	}
}

// Text from data is escaped on every HTML page: a hostile name and a hostile
// quote stay text.
func TestHTMLEscapesData(t *testing.T) {
	ctx := context.Background()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	raw := "Intro. " + evil + " is quoted. The end."
	d := layers.NewDataset()
	d.Sources = []layers.Source{{ID: "evil", Title: evil, Raw: raw, Text: layers.Normalize(raw)}}
	sel, err := layers.Anchor(d.Sources[0].Text, evil+" is quoted.")
	if err != nil {
		t.Fatal(err)
	}
	d.Passages = []layers.Passage{{ID: "p1", Source: "evil", Selector: sel}}
	d.Layers = []layers.Layer{{ID: "bases", Title: evil, Kind: "bases"}}
	d.Features["bases"] = []layers.Feature{{ID: "x", Layer: "bases", Geometry: orb.Point{44, 40},
		Properties: map[string]any{"name": evil, "status": "javascript:alert(3)"},
		Claims:     []layers.Claim{{Passage: "p1", Aspect: "existence", Relation: "supports", Basis: layers.Explicit, Note: evil}}}}
	if _, err := store.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	srv, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile(`<(script>alert|img src=x)`)
	for _, target := range []string{
		"/sources/evil?f=html", "/sources?f=html", "/collections?f=html", "/collections/bases?f=html",
		"/collections/bases/items?f=html", "/collections/bases/items/x?f=html",
	} {
		_, b := do(t, srv, "GET", target)
		if tag.Match(b) {
			t.Errorf("%s lets markup from data through:\n%s", target, b)
		}
		if !strings.Contains(string(b), "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(string(b), "&lt;img src=x") {
			t.Errorf("%s does not show the text escaped", target)
		}
	}
	os.Stdout.Sync()
}
