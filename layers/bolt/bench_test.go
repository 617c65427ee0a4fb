package bolt

import (
	"bytes"
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/query"
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
				// Spread uniformly (a lattice would stack a large layer's
				// polygons on a few thousand spots).
				lon := 38 + unit(uint64(i))*12
				lat := 38 + unit(uint64(i)+1<<40)*6
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

// unit maps i to [0, 1) by SplitMix64: deterministic, uniform.
func unit(i uint64) float64 {
	z := i*0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
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

// BenchmarkBBox answers items queries for random boxes holding about 100
// features (200 a page), from the index and stored bodies, in a layer of
// 21.5k polygons and in one of benchSize(): the cost per query should
// barely grow with the layer. Compare the two ns/op of one run.
func BenchmarkBBox(b *testing.B) {
	for _, n := range []int{21_500, benchSize()} {
		b.Run("layer="+strconv.Itoa(n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := context.Background()
			// The polygons cover 12 x 6 degrees: a side holding ~100.
			side := math.Sqrt(100 * 72 / float64(n))
			rng := rand.New(rand.NewPCG(1, 2))
			var buf bytes.Buffer
			matched := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x, y := 38+rng.Float64()*(12-side), 38+rng.Float64()*(6-side)
				q := layers.Query{BBox: []orb.Bound{{Min: orb.Point{x, y}, Max: orb.Point{x + side, y + side}}}}
				buf.Reset()
				res, err := query.Items(ctx, s, "synthetic", func(query.Result) (layers.Query, query.Page, error) {
					return q, query.Page{Limit: 200}, nil
				}, func(body layers.Body) error {
					return query.WriteFeature(&buf, "synthetic", body, nil, "http://127.0.0.1")
				})
				if err != nil {
					b.Fatal(err)
				}
				matched += res.Matched
			}
			b.ReportMetric(float64(matched)/float64(b.N), "matched/op")
		})
	}
}

// BenchmarkPublishOneInto publishes one new polygon per iteration into a
// layer of an existing database: CITEMAP_BENCH_DB names the file (it is
// written to) and CITEMAP_BENCH_LAYER the layer (bench/store.sh passes its
// 1M import). Without them it imports benchSize() polygons first.
func BenchmarkPublishOneInto(b *testing.B) {
	path, layer := os.Getenv("CITEMAP_BENCH_DB"), os.Getenv("CITEMAP_BENCH_LAYER")
	var s *Store
	if path == "" || layer == "" {
		s, layer = benchStore(b, benchSize()), "synthetic"
	} else {
		var err error
		if s, err = Open(path, time.Second); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
	}
	ctx := context.Background()
	l, err := s.Layer(ctx, layer)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, y := 44+float64(i%100)/1000, 40+float64(i/100)/1000
		ring := orb.Ring{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y}}
		f := layers.Feature{ID: "published-" + strconv.Itoa(i), Layer: layer, Geometry: orb.Polygon{ring},
			Properties: map[string]any{"name": "published " + strconv.Itoa(i)}}
		if l.Cited() {
			f.Claims = []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}
		}
		if _, err := s.Publish(ctx, &layers.Change{Author: "bench", Upserts: []layers.Feature{f}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(l.Count), "features")
}

// BenchmarkImport imports benchSize() polygons into a new store: what the
// store does of an import (the features come decoded). Run with
// -benchtime 1x and -cpuprofile to see where an import's time goes.
func BenchmarkImport(b *testing.B) {
	n := benchSize()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := Open(filepath.Join(b.TempDir(), "import.db"), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
		if err != nil {
			b.Fatal(err)
		}
		imp := d.Import()
		imp.Layers = append(imp.Layers, polygons(n))
		b.StartTimer()
		if _, err := s.Import(context.Background(), imp, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n), "features")
}

// BenchmarkItemsWithDrafts answers an editor's first page (200 features)
// of a layer of 21.5k polygons and of one of benchSize() with ten drafts
// in it (five edits, five new features): "over" lays the drafts over the
// index (query.ItemsOver, what the server does), "whole" decodes the layer
// and applies them (what it did until then). The first's cost should not
// grow with the layer.
func BenchmarkItemsWithDrafts(b *testing.B) {
	for _, n := range []int{21_500, benchSize()} {
		s := benchStore(b, n)
		ctx := context.Background()
		l, err := s.Layer(ctx, "synthetic")
		if err != nil {
			b.Fatal(err)
		}
		var edits []layers.Edit
		for i := range 10 {
			id := "f" + strconv.Itoa(i*(n/10)+1)
			if i%2 == 1 {
				id += "-new"
			}
			f := layers.Feature{ID: id, Layer: "synthetic", Geometry: orb.Point{44 + float64(i)/10, 40},
				Properties: map[string]any{"name": "draft " + id, "status": "synthetic"},
				Claims:     []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
			edits = append(edits, layers.Edit{Layer: "synthetic", ID: id, Op: "update", After: &f})
		}
		ps, err := layers.PassageSources(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		plan := func(query.Result) (layers.Query, query.Page, error) {
			return layers.Query{}, query.Page{Limit: 200}, nil
		}
		var buf bytes.Buffer
		b.Run("over/layer="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ov, err := query.NewOverlay(l, edits, ps)
				if err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				if _, err := query.ItemsOver(ctx, s, "synthetic", ov, plan, func(body layers.Body) error {
					return query.WriteFeature(&buf, "synthetic", body, nil, "http://127.0.0.1")
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("whole/layer="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				feats, err := s.Features(ctx, "synthetic")
				if err != nil {
					b.Fatal(err)
				}
				byID := make(map[string]layers.Feature, len(feats))
				for _, f := range feats {
					byID[f.ID] = f
				}
				for _, e := range edits {
					byID[e.ID] = *e.After
				}
				out := slices.SortedFunc(maps.Values(byID), func(a, b layers.Feature) int { return strings.Compare(a.ID, b.ID) })
				sn, err := layers.NewSnapshot(l, out, ps)
				if err != nil {
					b.Fatal(err)
				}
				if m := query.Match(sn, layers.Query{}); len(m) < 200 {
					b.Fatal("short page")
				}
			}
		})
	}
}
