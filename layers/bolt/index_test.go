package bolt

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// searchIDs is what the stored index answers for q, sorted.
func searchIDs(t *testing.T, r layers.Reader, layer string, q orb.Bound) []string {
	t.Helper()
	var ids []string
	err := r.(layers.Indexed).ReadIndex(context.Background(), layer, func(li layers.LayerIndex) error {
		return li.Search(q, func(id string, _ orb.Bound) bool {
			ids = append(ids, id)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// bruteIDs is every feature whose bound intersects q, sorted.
func bruteIDs(t *testing.T, r layers.Reader, layer string, q orb.Bound) []string {
	t.Helper()
	fs, err := r.Features(context.Background(), layer)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range fs {
		if f.Geometry.Bound().Intersects(q) {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// The index finds exactly the features a scan of the layer finds, for
// boxes of every size, and the bodies are what a snapshot serves.
func TestIndexSearchMatchesAScan(t *testing.T) {
	ctx := context.Background()
	s, _ := withPolygons(t, 3000)
	rng := rand.New(rand.NewPCG(1, 2))
	boxes := []orb.Bound{
		{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},           // the world
		{Min: orb.Point{44.99, 40.99}, Max: orb.Point{45.01, 41.01}},   // on cell edges at many levels
		{Min: orb.Point{10, 10}, Max: orb.Point{11, 11}},               // nothing
		{Min: orb.Point{43.5, 40.5}, Max: orb.Point{43.5, 40.5}},       // a point
		{Min: orb.Point{37, 37}, Max: orb.Point{51, 45}},               // everything synthetic
		{Min: orb.Point{45.000001, 39}, Max: orb.Point{45.000002, 43}}, // a thin strip
	}
	for range 60 {
		lon, lat := 37.5+rng.Float64()*13, 37.5+rng.Float64()*7
		w, h := rng.Float64()*rng.Float64()*3, rng.Float64()*rng.Float64()*2
		boxes = append(boxes, orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon + w, lat + h}})
	}
	for _, layer := range []string{"synthetic", "bases"} {
		for _, q := range boxes {
			got, want := searchIDs(t, s, layer, q), bruteIDs(t, s, layer, q)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: Search(%v) found %d features, a scan %d", layer, q, len(got), len(want))
			}
		}
	}

	// Each body is what a snapshot of the layer holds.
	sn, err := layers.LoadSnapshot(ctx, s, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	err = s.ReadIndex(ctx, "synthetic", func(li layers.LayerIndex) error {
		n := 0
		err := li.Scan("", func(b layers.Body) bool {
			i := sn.Index(b.ID)
			if i != n || string(b.Geometry) != string(sn.Geometry[i]) || string(b.Properties) != string(sn.Props[i]) || b.Bound != sn.Bounds[i] {
				t.Errorf("body %d (%s) differs from the snapshot's %d", n, b.ID, i)
				return false
			}
			n++
			return true
		})
		if n != len(sn.Features) {
			t.Errorf("scanned %d bodies of %d", n, len(sn.Features))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// A small box reads little more than the entries whose centres lie in it,
// widened by each level's reach: the keys sort by the centre on a fine
// grid, not by the level's own cells (which made a box a tenth of a cell
// read whole cells), and the reach is the layer's, not a quarter cell.
func TestSearchReadsLittleMoreThanItsBox(t *testing.T) {
	s, _ := withPolygons(t, 20000)
	rng := rand.New(rand.NewPCG(3, 4))
	err := s.db.View(func(tx *bbolt.Tx) error {
		at := currentVersion(tx)
		rec, err := layerAt(tx, "synthetic", at)
		if err != nil {
			return err
		}
		tighter := false
		for l, r := range rec.Reach {
			if r[0] > cellW(l)/4 || r[1] > cellH(l)/4 {
				t.Errorf("level %d: reach %v passes a quarter cell", l, r)
			}
			tighter = tighter || (r != [2]float64{} && r[0] < cellW(l)/8)
		}
		if !tighter {
			t.Errorf("reach %v: no level tighter than an eighth of a cell, for polygons 2 km across", rec.Reach)
		}
		type entry struct {
			level int
			c     orb.Point
		}
		var all []entry
		b := bodiesOf(tx, "synthetic")
		if err := b.ForEach(func(k, v []byte) error {
			bd, ok := bodyBound(v)
			if ok {
				all = append(all, entry{int(k[0]), bd.Center()})
			}
			return nil
		}); err != nil {
			return err
		}
		read, wanted := 0, 0
		for range 200 {
			lon, lat := 38+rng.Float64()*11, 38+rng.Float64()*5
			q := orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon + 0.05, lat + 0.05}}
			for l := 0; l <= maxLevel; l++ {
				mx, my := widen(l, rec.Reach)
				w := orb.Bound{Min: orb.Point{q.Min[0] - mx, q.Min[1] - my}, Max: orb.Point{q.Max[0] + mx, q.Max[1] + my}}
				for _, e := range all {
					if e.level == l && w.Contains(e.c) {
						wanted++
					}
				}
				scanRanges(b.Cursor(), nil, l, q, rec.Reach, at, func(_, _ []byte) bool { read++; return true })
			}
		}
		if wanted == 0 {
			t.Fatal("no entry in any widened box: the test measures nothing")
		}
		if float64(read) > 1.6*float64(wanted) {
			t.Errorf("200 small boxes read %d entries for the %d whose centres lie in their widened boxes", read, wanted)
		}
		t.Logf("read %d entries for %d in the widened boxes", read, wanted)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A publish that files a wider feature at a level widens the level's
// reach: a box meeting only its far edge finds it. The version before
// keeps its own reach, and a count over the whole layer (a delete at the
// layer's edge) keeps every feature findable.
func TestSearchFollowsTheReach(t *testing.T) {
	ctx := context.Background()
	s, v1 := withPolygons(t, 2000)
	f, err := s.Feature(ctx, "synthetic", "f7")
	if err != nil {
		t.Fatal(err)
	}
	// Twice as wide as the others (0.02 deg), filed at their level.
	wide := f
	wide.ID = "wide"
	wide.Geometry = orb.Polygon{orb.Ring{{44, 41}, {44.04, 41}, {44.04, 41.02}, {44, 41.02}, {44, 41}}}
	if levelOf(wide.Geometry.Bound()) != levelOf(f.Geometry.Bound()) {
		t.Fatalf("the wide feature is filed at level %d, the others at %d", levelOf(wide.Geometry.Bound()), levelOf(f.Geometry.Bound()))
	}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{wide}}); err != nil {
		t.Fatal(err)
	}
	edge := orb.Bound{Min: orb.Point{44.0395, 41.005}, Max: orb.Point{44.05, 41.006}}
	if got := searchIDs(t, s, "synthetic", edge); !slices.Contains(got, "wide") {
		t.Errorf("a box on its east edge found %v, not the wide feature", got)
	}
	if got, want := searchIDs(t, s, "synthetic", edge), bruteIDs(t, s, "synthetic", edge); !slices.Equal(got, want) {
		t.Errorf("index %v, scan %v", got, want)
	}
	old, _ := s.At(ctx, v1)
	if got, want := searchIDs(t, old, "synthetic", edge), bruteIDs(t, old, "synthetic", edge); !slices.Equal(got, want) {
		t.Errorf("v%d: index %v, scan %v", v1, got, want)
	}
	// Deleting the feature with the layer's westmost bound counts the
	// layer again: the wide feature stays findable.
	fs, err := s.Features(ctx, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	west := fs[0]
	for _, g := range fs {
		if g.Geometry.Bound().Min[0] < west.Geometry.Bound().Min[0] {
			west = g
		}
	}
	if _, err := s.Publish(ctx, &layers.Change{Deletes: []layers.FeatureKey{{Layer: "synthetic", ID: west.ID}}}); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, s, "synthetic", edge); !slices.Contains(got, "wide") {
		t.Errorf("after a recount: a box on its east edge found %v", got)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// A publish moves, adds and deletes index entries; a pinned version keeps
// reading the index as it was.
func TestIndexIsVersioned(t *testing.T) {
	ctx := context.Background()
	s, v1 := withPolygons(t, 500)
	f, err := s.Feature(ctx, "synthetic", "f7")
	if err != nil {
		t.Fatal(err)
	}
	far := orb.Bound{Min: orb.Point{-10, -10}, Max: orb.Point{-9, -9}}
	f.Geometry = orb.Polygon{orb.Ring{{-9.6, -9.6}, {-9.4, -9.6}, {-9.4, -9.4}, {-9.6, -9.6}}}
	f.Properties["status"] = "moved"
	v2, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{f},
		Deletes: []layers.FeatureKey{{Layer: "synthetic", ID: "f8"}}})
	if err != nil {
		t.Fatal(err)
	}
	all := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	old, _ := s.At(ctx, v1)
	if got := searchIDs(t, s, "synthetic", far); !slices.Equal(got, []string{"f7"}) {
		t.Errorf("latest: %v at the new place, want f7", got)
	}
	if got := searchIDs(t, old, "synthetic", far); len(got) != 0 {
		t.Errorf("v%d: %v at the new place, want none", v1, got)
	}
	for _, tc := range []struct {
		r    layers.Reader
		n    int
		has8 bool
	}{{s, 499, false}, {old, 500, true}} {
		got := searchIDs(t, tc.r, "synthetic", all)
		if len(got) != tc.n || slices.Contains(got, "f8") != tc.has8 {
			t.Errorf("%d features in the world, f8 %v; want %d, %v", len(got), slices.Contains(got, "f8"), tc.n, tc.has8)
		}
		if want := bruteIDs(t, tc.r, "synthetic", all); !slices.Equal(got, want) {
			t.Errorf("index and scan differ")
		}
	}
	for v, want := range map[int]string{v1: "synthetic", v2: "moved"} {
		r, _ := s.At(ctx, v)
		err := r.(layers.Indexed).ReadIndex(ctx, "synthetic", func(li layers.LayerIndex) error {
			b, ok, err := li.Body("f7")
			if err != nil || !ok {
				t.Fatalf("v%d: body of f7: %v, %v", v, ok, err)
			}
			var p map[string]any
			if err := json.Unmarshal(b.Properties, &p); err != nil || p["status"] != want {
				t.Errorf("v%d: f7's status %v, want %s (%v)", v, p["status"], want, err)
			}
			if _, ok, _ := li.Body("f8"); ok != (v == v1) {
				t.Errorf("v%d: f8 present = %v", v, ok)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// check finds an index entry or body that is missing, stale or left over.
func TestCheckFindsABrokenIndex(t *testing.T) {
	for name, tc := range map[string]struct {
		damage func(tx *bbolt.Tx) error
		want   string
	}{
		"missing entry": {func(tx *bbolt.Tx) error {
			c := idsOf(tx, "synthetic").Cursor()
			k, _ := c.First()
			return c.Bucket().Delete(k)
		}, "missing from the spatial index"},
		"stray entry": {func(tx *bbolt.Tx) error {
			k := vkey(cellEntity("ghost", orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{1, 1}}), 1)
			return bodiesOf(tx, "synthetic").Put(k, []byte{tagLive})
		}, `holds "ghost"`},
		"stale body": {func(tx *bbolt.Tx) error {
			b := bodiesOf(tx, "synthetic")
			k, v := b.Cursor().First()
			v = []byte(strings.Replace(string(v), "synthetic", "synthetiK", 1))
			return b.Put(append([]byte(nil), k...), v)
		}, "stored body is missing or stale"},
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := withPolygons(t, 50)
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			if err := s.db.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			if err := s.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}

// A passage that moves to another source changes the source_count in the
// bodies of the features citing it, though their records do not change.
func TestBodiesFollowAPassagesSource(t *testing.T) {
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
	refs, err := s.PassageFeatures(ctx, p.ID)
	if err != nil || len(refs) == 0 {
		t.Fatalf("features citing %s: %v, %v", p.ID, refs, err)
	}
	sourceCount := func(r layers.Reader, ref layers.FeatureRef) (stored, want float64) {
		t.Helper()
		f, err := r.Feature(ctx, ref.Layer, ref.Feature)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := layers.PassageSources(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		_, sources := f.Evidence(ps)
		err = r.(layers.Indexed).ReadIndex(ctx, ref.Layer, func(li layers.LayerIndex) error {
			b, ok, err := li.Body(ref.Feature)
			if err != nil || !ok {
				t.Fatalf("body of %v: %v %v", ref, ok, err)
			}
			var props map[string]any
			if err := json.Unmarshal(b.Properties, &props); err != nil {
				t.Fatal(err)
			}
			stored, _ = props["source_count"].(float64)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return stored, float64(len(sources))
	}
	before, _ := sourceCount(s, refs[0])

	// The same text under another id; the passage moves to it.
	moved := src
	moved.ID = "s-copy"
	p.Source = moved.ID
	v, err := s.Publish(ctx, &layers.Change{Sources: []layers.Source{moved}, Passages: []layers.Passage{p}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if stored, want := sourceCount(s, ref); stored != want {
			t.Errorf("%v: source_count %v in its body, %v from its claims", ref, stored, want)
		}
	}
	after, _ := sourceCount(s, refs[0])
	old, _ := s.At(ctx, v-1)
	if was, _ := sourceCount(old, refs[0]); was != before || before == after {
		t.Errorf("source_count before %v, after %v, at v%d %v: the move should change it and the old version keep it", before, after, v-1, was)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
