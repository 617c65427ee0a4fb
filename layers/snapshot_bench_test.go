package layers

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// synthetic returns n points over the Caucasus, deterministically.
func synthetic(n int) []Feature {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Feature, n)
	for i := range out {
		out[i] = Feature{
			ID:         "f" + strconv.Itoa(100000000+i),
			Geometry:   orb.Point{38 + r.Float64()*12, 38 + r.Float64()*6},
			Properties: map[string]any{"name": "feature " + strconv.Itoa(i), "status": "synthetic"},
		}
	}
	return out
}

func BenchmarkNewSnapshot(b *testing.B) {
	for _, n := range []int{1000, 21500} {
		feats := synthetic(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := NewSnapshot(Layer{ID: "x"}, feats, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNewSnapshot200k(b *testing.B) {
	feats := synthetic(200000)
	for i := range feats {
		feats[i].Claims = []Claim{{Passage: "p004-01", Aspect: "existence", Relation: Supports, Basis: Explicit}}
		feats[i].Properties["valid_from"] = "2020"
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSnapshot(Layer{ID: "x"}, feats, map[string]string{"p004-01": "s"}); err != nil {
			b.Fatal(err)
		}
	}
}
