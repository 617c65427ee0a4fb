package bolt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// shifted is polygons(n) with every third feature moved east by dx, so a
// second import moves features between cells and drops some.
func shifted(n int, dx float64) layers.LayerImport {
	li := polygons(n)
	all := li.Features
	li.Features = func(yield func(layers.Feature, error) bool) {
		i := 0
		for f, err := range all {
			if i%3 == 0 && dx != 0 {
				p := f.Geometry.(orb.Polygon)
				ring := make(orb.Ring, len(p[0]))
				for j, pt := range p[0] {
					ring[j] = orb.Point{pt[0] + dx, pt[1]}
				}
				f.Geometry = orb.Polygon{ring}
			}
			i++
			if !yield(f, err) {
				return
			}
		}
	}
	return li
}

// dump is every record of the buckets a layer's data lives in, as text.
func dump(t *testing.T, s *Store) string {
	t.Helper()
	var b bytes.Buffer
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketFeatures, bucketBodies, bucketIDs, bucketCites, bucketLayers, bucketLevels} {
			top := tx.Bucket(name)
			err := top.ForEach(func(k, v []byte) error {
				if v != nil {
					fmt.Fprintf(&b, "%s %q %q\n", name, k, v)
					return nil
				}
				return top.Bucket(k).ForEach(func(k2, v2 []byte) error {
					fmt.Fprintf(&b, "%s/%s %q %q\n", name, k, k2, v2)
					return nil
				})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// An import that sorts its bodies through run files, writes in many
// transactions and rebuilds its levels from the written bodies stores
// exactly what one written at once, its levels followed cell by cell,
// stores, and checks.
func TestImportThroughRuns(t *testing.T) {
	ctx := context.Background()
	imports := []func() *layers.Import{
		func() *layers.Import {
			imp := mini(t).Import()
			imp.Layers = append(imp.Layers, shifted(3000, 0))
			return imp
		},
		// Moves a third of the features to other cells, drops a third.
		func() *layers.Import {
			return &layers.Import{Layers: []layers.LayerImport{shifted(2000, 0.37)}}
		},
	}
	whole, _ := openTemp(t)
	small, _ := openTemp(t)
	small.runBytes, small.flushBytes, small.levelCells = 16<<10, 64<<10, 8
	whole.levelCells = 1 << 30
	for i, imp := range imports {
		for _, s := range []*Store{whole, small} {
			if _, err := s.Import(ctx, imp(), nil); err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
			if err := s.Check(); err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
		}
		if a, b := dump(t, whole), dump(t, small); a != b {
			t.Fatalf("import %d: the store written through runs differs (%d bytes of records, %d at once)", i, len(b), len(a))
		}
	}
	if n := len(searchIDs(t, small, "synthetic", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}})); n != 2000 {
		t.Errorf("%d features found in the world, want 2000", n)
	}
	// The runs went: nothing is left beside the database.
	entries, err := os.ReadDir(filepath.Dir(small.Path()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(small.Path()) {
			t.Errorf("left beside the database: %s", e.Name())
		}
	}
}

// An import that fails after writing batches and runs leaves nothing.
func TestFailedImportThroughRunsRollsBack(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	s.runBytes, s.flushBytes = 16<<10, 64<<10
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	before := dump(t, s)
	n := 3*batchSize + 10
	if _, err := s.Import(ctx, &layers.Import{Layers: []layers.LayerImport{points(n, n-5)}}, nil); err == nil {
		t.Fatal("an import with a bad point succeeded")
	}
	if n := uncommitted(t, s); n != 0 {
		t.Errorf("%d records of the failed import left", n)
	}
	if after := dump(t, s); after != before {
		t.Error("a failed import changed the store")
	}
	// A cancelled import too, once its features are written.
	cctx, cancel := context.WithCancel(ctx)
	li := polygons(3 * batchSize)
	all := li.Features
	li.Features = func(yield func(layers.Feature, error) bool) {
		i := 0
		for f, err := range all {
			if i++; i == 2*batchSize+1 {
				cancel()
			}
			if !yield(f, err) {
				return
			}
		}
	}
	if _, err := s.Import(cctx, &layers.Import{Layers: []layers.LayerImport{li}}, nil); err == nil {
		t.Fatal("a cancelled import succeeded")
	}
	if after := dump(t, s); after != before {
		t.Error("a cancelled import changed the store")
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
