package query

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// A bbox around ~100 features of a snapshot costs the same whatever the
// layer's size.
func BenchmarkMatchBBox(b *testing.B) {
	for _, n := range []int{21500, 100000} {
		r := rand.New(rand.NewPCG(1, 2))
		feats := make([]layers.Feature, n)
		for i := range feats {
			feats[i] = layers.Feature{ID: "f" + strconv.Itoa(100000000+i), Geometry: orb.Point{38 + r.Float64()*12, 38 + r.Float64()*6},
				Properties: map[string]any{"name": "feature " + strconv.Itoa(i), "status": "synthetic"}}
		}
		sn, err := layers.NewSnapshot(layers.Layer{ID: "x"}, feats, nil)
		if err != nil {
			b.Fatal(err)
		}
		// 12x6 degrees hold n features: a box of area 72*100/n holds ~100.
		side := 0.0
		for side*side < 72*100/float64(n) {
			side += 0.001
		}
		q := layers.Query{BBox: []orb.Bound{{Min: orb.Point{44, 41}, Max: orb.Point{44 + side, 41 + side}}}}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if m := Match(sn, q); len(m) == 0 {
					b.Fatal("no match")
				}
			}
		})
	}
}
