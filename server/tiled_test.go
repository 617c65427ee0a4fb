package server

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// heavy is a layer of three features, each a ring of k vertices: few
// features, but k=6000 makes over 256 KB of geometry.
func heavy(id string, k int) layers.LayerImport {
	return layers.LayerImport{
		File: id + ".geojson",
		ID:   func() string { return id },
		Features: func(yield func(layers.Feature, error) bool) {
			for i := range 3 {
				ring := make(orb.Ring, 0, k+1)
				for j := range k {
					a := float64(j) / float64(k) * 2 * math.Pi
					ring = append(ring, orb.Point{41 + float64(i) + 0.4*math.Cos(a), 40 + 0.4*math.Sin(a)})
				}
				ring = append(ring, ring[0])
				f := layers.Feature{ID: "a" + string(rune('0'+i)), Geometry: orb.Polygon{ring}, Properties: map[string]any{"name": id}}
				if !yield(f, nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer {
			return layers.Layer{ID: id, Title: id, Kind: layers.KindOther, Plain: true}
		},
	}
}

// The layers the map draws from tiles: over 1000 features, or over 256 KB
// of geometry. /collections says so, the map page does not preload them,
// and a layer just under both limits is held whole. The same with a store
// that keeps no index (the geometry measured from the snapshot).
func TestDrawnFromTiles(t *testing.T) {
	store := miniStore(t, synthetic(1001), heavy("heavy", 6000), heavy("light", 1500))
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	want := map[string]bool{"synthetic": true, "heavy": true, "light": false, "bases": false, "zones": false}
	for name, st := range map[string]layers.Store{"indexed": store, "plain": unindexed{store}} {
		s, err := New(st, Config{Assets: assets})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Collections []struct {
				ID    string `json:"id"`
				Tiled bool   `json:"tiled"`
			} `json:"collections"`
		}
		res, b := do(t, s, "GET", "/collections?f=json")
		if res.StatusCode != 200 {
			t.Fatalf("%s: /collections %d %s", name, res.StatusCode, b)
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("%s: /collections: %v", name, err)
		}
		seen := 0
		for _, c := range body.Collections {
			if w, ok := want[c.ID]; ok {
				seen++
				if c.Tiled != w {
					t.Errorf("%s: /collections says %s tiled=%v, want %v", name, c.ID, c.Tiled, w)
				}
			}
		}
		if seen != len(want) {
			t.Errorf("%s: /collections lists %d of the %d layers: %s", name, seen, len(want), b)
		}
		for id, w := range want {
			_, b := do(t, s, "GET", "/collections/"+id+"?f=json")
			if got := strings.Contains(string(b), `"tiled":true`); got != w {
				t.Errorf("%s: /collections/%s tiled=%v, want %v", name, id, got, w)
			}
		}
		res, _ = do(t, s, "GET", "/", "Accept", "text/html")
		link := res.Header.Get("Link")
		for id, w := range want {
			if got := strings.Contains(link, "</layers/"+id+".geojson>"); got == w {
				t.Errorf("%s: the map page preloads %s: %v, but it is tiled=%v (Link %q)", name, id, got, w, link)
			}
		}
	}
}
