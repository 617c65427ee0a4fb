package bolt

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// benchSize is the synthetic layer's size: CITEMAP_BENCH_FEATURES, or 100k.
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("CITEMAP_BENCH_FEATURES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// polygons yields n cited polygons of 5 to 16 vertices over the Caucasus.
func polygons(n int) layers.LayerImport {
	return layers.LayerImport{
		File: "synthetic",
		ID:   func() string { return "synthetic" },
		Features: func(yield func(layers.Feature, error) bool) {
			for i := 0; i < n; i++ {
				lon := 38 + float64((i*7919)%12000)/1000
				lat := 38 + float64((i*104729)%6000)/1000
				k := 4 + i%12
				ring := make(orb.Ring, 0, k+1)
				for j := 0; j < k; j++ {
					// A convex polygon, counter-clockwise.
					a := float64(j) / float64(k) * 6.283185307179586
					ring = append(ring, orb.Point{lon + 0.01*math.Cos(a), lat + 0.01*math.Sin(a)})
				}
				ring = append(ring, ring[0])
				f := layers.Feature{ID: "f" + strconv.Itoa(i), Geometry: orb.Polygon{ring},
					Properties: map[string]any{"name": "feature " + strconv.Itoa(i), "status": "synthetic"},
					Claims:     []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
				if !yield(f, nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer { return layers.Layer{ID: "synthetic", Title: "Synthetic", Kind: layers.KindOther} },
	}
}

// benchStore opens a store holding the mini dataset and a synthetic layer
// of n polygons.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		b.Fatal(err)
	}
	imp := d.Import()
	imp.Layers = append(imp.Layers, polygons(n))
	began := time.Now()
	if _, err := s.Import(ctx, imp, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d polygons in %s", n, time.Since(began).Round(time.Millisecond))
	return s
}

// BenchmarkPublishOne publishes one new feature per iteration into a layer
// of 1k features and into one of benchSize(): the cost must not grow with
// the layer.
func BenchmarkPublishOne(b *testing.B) {
	for _, n := range []int{1000, benchSize()} {
		b.Run("layer="+strconv.Itoa(n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := layers.Feature{ID: "new-" + strconv.Itoa(i), Layer: "synthetic",
					Geometry:   orb.Point{44 + float64(i%100)/1000, 40},
					Properties: map[string]any{"name": "new " + strconv.Itoa(i)},
					Claims:     []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
				if _, err := s.Publish(ctx, &layers.Change{Author: "bench", Upserts: []layers.Feature{f}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadLayer reads a whole layer (what a snapshot is built from) and
// one feature, at the latest version after some publishes.
func BenchmarkReadLayer(b *testing.B) {
	n := benchSize()
	s := benchStore(b, n)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		f, err := s.Feature(ctx, "synthetic", "f"+strconv.Itoa(i*97))
		if err != nil {
			b.Fatal(err)
		}
		f.Properties["status"] = "edited"
		if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{f}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("features="+strconv.Itoa(n), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fs, err := s.Features(ctx, "synthetic")
			if err != nil || len(fs) != n {
				b.Fatalf("%d features, %v", len(fs), err)
			}
		}
	})
	b.Run("feature", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Feature(ctx, "synthetic", "f"+strconv.Itoa(i%n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
