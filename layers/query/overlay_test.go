package query_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/query"
)

// point is a cited point feature of the synthetic layer.
func point(id string, lon, lat float64, status string) layers.Feature {
	return layers.Feature{ID: id, Geometry: orb.Point{lon, lat},
		Properties: map[string]any{"name": "feature " + id, "status": status},
		Claims:     []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
}

// overlayStore is a real store holding the mini dataset and a layer "pts"
// of 240 points on a 20x12 grid, ids p000..p239, status a or b.
func overlayStore(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "overlay.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		t.Fatal(err)
	}
	imp := d.Import()
	imp.Layers = append(imp.Layers, layers.LayerImport{
		File: "pts",
		ID:   func() string { return "pts" },
		Features: func(yield func(layers.Feature, error) bool) {
			for i := range 240 {
				status := "a"
				if i%3 == 0 {
					status = "b"
				}
				if !yield(point(fmt.Sprintf("p%03d", i), 40+float64(i%20)*0.5, 38+float64(i/20)*0.5, status), nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer { return layers.Layer{ID: "pts", Title: "Points", Kind: layers.KindOther} },
	})
	if _, err := s.Import(context.Background(), imp, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// The stored layer with drafts laid over it pages exactly as the same layer
// decoded whole with the drafts applied, for every page of every query.
func TestItemsOverPagesAsTheLayerWithDraftsApplied(t *testing.T) {
	ctx := context.Background()
	s := overlayStore(t)
	after := func(f layers.Feature) *layers.Feature { return &f }
	edits := []layers.Edit{
		{ID: "p000", Op: "delete"}, // the first
		{ID: "p050", Op: "delete"},
		{ID: "p120", Op: "update", After: after(point("p120", 40.2, 38.2, "b"))}, // moved and refiled
		{ID: "p121", Op: "update", After: after(point("p121", 49.5, 43.5, "a"))},
		{ID: "a-first", Op: "create", After: after(point("a-first", 41, 39, "a"))},
		{ID: "p050a", Op: "create", After: after(point("p050a", 45, 40, "b"))},
		{ID: "p200x", Op: "create", After: after(point("p200x", 44, 41, "a"))},
		{ID: "zz-last", Op: "create", After: after(point("zz-last", 60, 60, "a"))}, // outside every box but the whole
		{ID: "p050a", Op: "update", After: after(point("p050a", 45.1, 40.1, "a"))}, // edited twice: the last wins
		{ID: "p239", Op: "delete"},    // the last
		{ID: "nowhere", Op: "delete"}, // deletes what is not there
	}
	stored, err := layers.LoadSnapshot(ctx, s, "pts")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := layers.PassageSources(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := query.NewOverlay(stored.Layer, edits, ps)
	if err != nil {
		t.Fatal(err)
	}
	// The reference: the layer decoded whole, the drafts applied by hand.
	byID := map[string]layers.Feature{}
	for _, f := range stored.Features {
		byID[f.ID] = f
	}
	for _, e := range edits {
		if e.After == nil {
			delete(byID, e.ID)
		} else {
			byID[e.ID] = *e.After
		}
	}
	var want []layers.Feature
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		want = append(want, byID[id])
	}
	ref, err := layers.NewSnapshot(stored.Layer, want, ps)
	if err != nil {
		t.Fatal(err)
	}

	box := func(x0, y0, x1, y1 float64) []orb.Bound {
		return []orb.Bound{{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}}
	}
	queries := map[string]layers.Query{
		"whole":             {},
		"status b":          {Equals: map[string]string{"status": "b"}},
		"bbox":              {BBox: box(40, 38, 45.2, 40.2)},
		"bbox, status a":    {BBox: box(40, 38, 45.2, 40.2), Equals: map[string]string{"status": "a"}},
		"two boxes":         {BBox: append(box(40, 38, 41, 39), box(44, 40, 50, 44)...)},
		"box of no feature": {BBox: box(0, 0, 1, 1)},
	}
	for name, q := range queries {
		all := query.Match(ref, q)
		for _, limit := range []int{1, 3, 7, 50, 1000} {
			for offset := 0; offset <= len(all)+2; offset++ {
				var got []string
				res, err := query.ItemsOver(ctx, s, "pts", ov, func(query.Result) (layers.Query, query.Page, error) {
					return q, query.Page{Offset: offset, Limit: limit}, nil
				}, func(b layers.Body) error {
					got = append(got, b.ID)
					return nil
				})
				if err != nil {
					t.Fatalf("%s offset %d limit %d: %v", name, offset, limit, err)
				}
				var page []string
				for _, i := range all[min(offset, len(all)):min(offset+limit, len(all))] {
					page = append(page, ref.Features[i].ID)
				}
				if res.Matched != len(all) || !slices.Equal(got, page) {
					t.Fatalf("%s offset %d limit %d: matched %d %v, want %d %v", name, offset, limit, res.Matched, got, len(all), page)
				}
			}
		}
	}

	// The layer described is the layer with the drafts: its count, and a
	// revision a cache cannot mistake for the published one's.
	res, err := query.ItemsOver(ctx, s, "pts", ov, func(query.Result) (layers.Query, query.Page, error) {
		return layers.Query{}, query.Page{Limit: 1}, nil
	}, func(layers.Body) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Layer.Count != len(want) || res.Layer.Revision != stored.Layer.Revision+"+drafts" {
		t.Errorf("layer with drafts: count %d, revision %q; want %d and a +drafts revision", res.Layer.Count, res.Layer.Revision, len(want))
	}

	// A draft's body is what the feature's published body will be.
	var body layers.Body
	if _, err := query.ItemsOver(ctx, s, "pts", ov, func(query.Result) (layers.Query, query.Page, error) {
		return layers.Query{}, query.Page{Limit: 1}, nil
	}, func(b layers.Body) error {
		body = b
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if body.ID != "a-first" || !slices.Equal(body.Passages, []string{"p004-01"}) || !strings.Contains(string(body.Properties), `"status":"a"`) ||
		!strings.Contains(string(body.Geometry), `"Point"`) {
		t.Errorf("draft body = %s %v %s %s", body.ID, body.Passages, body.Properties, body.Geometry)
	}
}

// Without an overlay, ItemsOver is Items.
func TestItemsOverWithoutDrafts(t *testing.T) {
	ctx := context.Background()
	s := overlayStore(t)
	var a, b []string
	plan := func(query.Result) (layers.Query, query.Page, error) {
		return layers.Query{Equals: map[string]string{"status": "b"}}, query.Page{Offset: 5, Limit: 9}, nil
	}
	ra, err := query.Items(ctx, s, "pts", plan, func(x layers.Body) error { a = append(a, x.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	rb, err := query.ItemsOver(ctx, s, "pts", nil, plan, func(x layers.Body) error { b = append(b, x.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if ra.Matched != 80 || rb.Matched != ra.Matched || !slices.Equal(a, b) || len(a) != 9 || rb.Layer.Revision != ra.Layer.Revision {
		t.Errorf("Items %d %v, ItemsOver %d %v", ra.Matched, a, rb.Matched, b)
	}
}
