package server

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// A picture draws a layer over the whole-layer limit from the store's
// generalized levels, where its frame lies: the layer is never decoded
// whole, and its legend row counts the layer, not the view. The feature a
// picture is of is in it, titled by its name, even where the view's
// crowded cells thin it out.
func TestPicturesReadLargeLayersFromTheirLevels(t *testing.T) {
	store := syntheticStore(t, 2000)
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l := mustLayer(t, store, "synthetic")

	// A feature the picture's view thins out: the whole layer at 300 px.
	const width = 300
	view := l.Bound
	var shown []layers.Feature
	err = store.ReadTiles(ctx, "synthetic", func(st tiles.Stored) error {
		shown, err = tiles.View(st, view, viewZoom(view, width), "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(shown) == 0 || len(shown) >= l.Count {
		t.Fatalf("the view shows %d of %d features: not thinned", len(shown), l.Count)
	}
	var thinned string
	for i := range l.Count {
		id := fmt.Sprintf("f-%05d", i)
		if !slices.ContainsFunc(shown, func(f layers.Feature) bool { return f.ID == id }) {
			thinned = id
			break
		}
	}
	feat, err := store.Feature(ctx, "synthetic", thinned)
	if err != nil {
		t.Fatal(err)
	}

	bbox := fmt.Sprintf("%g,%g,%g,%g", view.Min[0], view.Min[1], view.Max[0], view.Max[1])
	legend := fmt.Sprintf("Synthetic (%d)", l.Count) // the layer's count, not the view's
	for _, tc := range []struct{ path, title, legend string }{
		{"/static/map.svg?layers=synthetic&width=300&height=200&bbox=" + bbox, "Synthetic", ""},
		{"/static/map.svg?layers=synthetic&width=1200&height=630&bbox=" + bbox, "Synthetic", legend},
		{"/static/map.svg?layers=synthetic&width=300&height=200&bbox=" + bbox + "&feature=synthetic/" + thinned, feat.Name(), ""},
		{"/static/map.svg?layers=synthetic&width=1200&height=630&feature=synthetic/" + thinned, feat.Name(), legend},
		{"/static/map.png?layers=synthetic&width=600&height=400", "", ""},
	} {
		res, body := do(t, s, "GET", tc.path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %.300s", tc.path, res.StatusCode, body)
		}
		if tc.title == "" {
			continue
		}
		m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(body)
		if m == nil || string(m[1]) != tc.title {
			t.Errorf("%s: title %q, want %q", tc.path, m, tc.title)
		}
		if tc.legend != "" && !bytes.Contains(body, []byte(">"+tc.legend+"<")) {
			t.Errorf("%s: no legend row %q", tc.path, tc.legend)
		}
	}
	if _, ok := s.snapshots.get("synthetic@" + l.Revision); ok {
		t.Error("a picture decoded the whole layer")
	}
}
