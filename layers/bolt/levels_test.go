package bolt

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

func checkLevelsAt(t *testing.T, s *Store, at int) {
	t.Helper()
	if err := s.db.View(func(tx *bbolt.Tx) error { return checkLevels(tx, uint64(at)) }); err != nil {
		t.Fatalf("v%d: %v", at, err)
	}
}

// storedTile cuts a tile from the levels in the file.
func storedTile(t *testing.T, r layers.Reader, layer string, tile maptile.Tile) []byte {
	t.Helper()
	var b []byte
	err := r.(tiles.Store).ReadTiles(context.Background(), layer, func(st tiles.Stored) error {
		var err error
		b, err = tiles.EncodeStored(st, int(tile.Z), int(tile.X), int(tile.Y))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tileFeatures decodes a tile into id -> geometry type and properties.
func tileFeatures(t *testing.T, b []byte, layer string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if len(b) == 0 {
		return out
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name != layer {
			t.Fatalf("tile layer %q", l.Name)
		}
		for _, f := range l.Features {
			id := fmt.Sprint(f.Properties["id"])
			if f.Properties["_label"] == true {
				id += "#label"
			}
			out[id] = fmt.Sprintf("%s %v", f.Geometry.GeoJSONType(), f.Properties)
		}
	}
	return out
}

// Tiles cut from the stored levels hold what tiles cut from the decoded
// layer hold: the same features, kinds of geometry and properties at the
// stored zooms and below the deepest one, and at deeper zooms.
func TestStoredTilesMatchTheLayer(t *testing.T) {
	ctx := context.Background()
	s, _ := withPolygons(t, 10000)
	for _, layer := range []string{"synthetic", "bases"} {
		sn, err := layers.LoadSnapshot(ctx, s, layer)
		if err != nil {
			t.Fatal(err)
		}
		set := tiles.NewSet(sn)
		for _, z := range []int{0, 2, 4, 5, 6, 8, 9, 11, 14} {
			for _, p := range []orb.Point{{44.5, 40.2}, {41.7, 41.7}, {49.9, 43.9}} {
				tile := maptile.At(p, maptile.Zoom(z))
				want, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
				if err != nil {
					t.Fatal(err)
				}
				got := storedTile(t, s, layer, tile)
				gf, wf := tileFeatures(t, got, layer), tileFeatures(t, want, layer)
				if _, stored := tiles.LevelOf(z); stored && !slices.Contains(tiles.Levels(), z) {
					// Between stored levels the finer level thinned again
					// may keep more, never less.
					for id := range wf {
						if _, ok := gf[id]; !ok {
							t.Errorf("%s z%d %v: %s missing", layer, z, tile, id)
						}
					}
					continue
				}
				if !maps.Equal(gf, wf) {
					t.Errorf("%s z%d %v: stored tile holds %d features, the decoded layer's %d", layer, z, tile, len(gf), len(wf))
					for id, v := range wf {
						if gf[id] != v {
							t.Errorf("  %s: stored %q, decoded %q", id, gf[id], v)
							break
						}
					}
				}
			}
		}
	}
	checkLevelsAt(t, s, 1)
}

// A publish rewrites only the cells its features leave or enter, and the
// levels stay what a count over the whole layer gives, at every version.
func TestLevelsFollowAPublish(t *testing.T) {
	ctx := context.Background()
	s, v1 := withPolygons(t, 5000)
	fs, err := s.Features(ctx, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	countLevels := func() int {
		n := 0
		s.db.View(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketLevels).Bucket([]byte("synthetic")).ForEach(func(_, _ []byte) error { n++; return nil })
		})
		return n
	}
	before := countLevels()
	// Move one feature far, make one large (it wins its crowded cells),
	// rename one, delete one.
	moved, big, renamed := fs[10], fs[20], fs[30]
	moved.Geometry = orb.Polygon{{{30, 30}, {30.01, 30}, {30.01, 30.01}, {30, 30}}}
	c := big.Geometry.Bound().Center()
	big.Geometry = orb.Polygon{{{c[0] - 0.3, c[1] - 0.3}, {c[0] + 0.3, c[1] - 0.3}, {c[0] + 0.3, c[1] + 0.3}, {c[0] - 0.3, c[1] + 0.3}, {c[0] - 0.3, c[1] - 0.3}}}
	renamed.Properties = maps.Clone(renamed.Properties)
	renamed.Properties["name"] = "renamed"
	v2, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{moved, big, renamed}, Deletes: []layers.FeatureKey{{Layer: "synthetic", ID: fs[40].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	checkLevelsAt(t, s, v1)
	checkLevelsAt(t, s, v2)
	// Proportional: a handful of records per stored zoom, not the layer.
	if n := countLevels() - before; n == 0 || n > 20*len(tiles.Levels()) {
		t.Errorf("the publish wrote %d level records", n)
	}
	// The moved feature is drawn where it went, at every stored zoom, and
	// the renamed one under its new name.
	for _, z := range tiles.Levels() {
		tile := maptile.At(orb.Point{30.005, 30.005}, maptile.Zoom(z))
		if fs := tileFeatures(t, storedTile(t, s, "synthetic", tile), "synthetic"); fs[moved.ID] == "" {
			t.Errorf("z%d: tile at the moved feature lacks it", z)
		}
	}
	tile8 := maptile.At(renamed.Geometry.Bound().Center(), 8)
	if f := tileFeatures(t, storedTile(t, s, "synthetic", tile8), "synthetic")[renamed.ID]; !strings.Contains(f, "name:renamed") {
		t.Errorf("renamed feature at z8: %q", f)
	}
	// The version before still draws it where it was.
	old, err := s.At(ctx, v1)
	if err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{30.005, 30.005}, 8)
	if fs := tileFeatures(t, storedTile(t, old, "synthetic", tile), "synthetic"); len(fs) != 0 {
		t.Errorf("v%d draws %v at the moved feature's new place", v1, fs)
	}
}

// A level record the features do not imply is found by the check.
func TestCheckLevelsFindsAStrayRecord(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	checkLevelsAt(t, s, 1)
	b := orb.Bound{Min: orb.Point{10, 10}, Max: orb.Point{10.1, 10.1}}
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bucketLevels).Bucket([]byte("bases"))
		return lb.Put(vkey(levelEntity(6, "ghost", b), 1), putBound([]byte{tagLive}, b))
	}); err != nil {
		t.Fatal(err)
	}
	err := s.db.View(func(tx *bbolt.Tx) error { return checkLevels(tx, 1) })
	if err == nil {
		t.Fatal("a stray level record passed the check")
	}
}

// A passage moving to another source changes the source_count tiles
// carry of the features citing it, though the features are unchanged.
func TestLevelsFollowAPassagesSource(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.Passage(ctx, "p004-01")
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.Source(ctx, p.Source)
	if err != nil {
		t.Fatal(err)
	}
	moved := src
	moved.ID = "s-copy"
	p.Source = moved.ID
	v, err := s.Publish(ctx, &layers.Change{Sources: []layers.Source{moved}, Passages: []layers.Passage{p}})
	if err != nil {
		t.Fatal(err)
	}
	checkLevelsAt(t, s, v)
	checkLevelsAt(t, s, v-1)
}
