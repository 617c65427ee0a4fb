package bolt

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

func mini(t *testing.T) *layers.Dataset {
	t.Helper()
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// withPolygons opens a new store holding the mini dataset and n synthetic
// polygons (layer "synthetic"), and returns it with the import's version.
func withPolygons(t *testing.T, n int) (*Store, int) {
	t.Helper()
	s, _ := openTemp(t)
	imp := mini(t).Import()
	imp.Layers = append(imp.Layers, polygons(n))
	v, err := s.Import(context.Background(), imp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestImportAndRead(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if v := must(s.Version(ctx))(t); v != 0 {
		t.Fatalf("new store version = %d, want 0", v)
	}
	v, err := s.Import(ctx, mini(t).Import(), nil)
	if err != nil || v != 1 {
		t.Fatalf("Import = %d, %v", v, err)
	}

	l, err := s.Layer(ctx, "bases")
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 1 || l.Revision == "" || l.Version != 1 || l.Bound.Min != (orb.Point{43.84635, 40.79305}) {
		t.Errorf("layer = %+v", l)
	}
	f, err := s.Feature(ctx, "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	if f.Geometry != (orb.Point{43.84635, 40.79305}) || f.Name() != "Russian 102nd Military Base, Gyumri" {
		t.Errorf("feature = %+v", f)
	}
	if len(f.Claims) != 2 {
		t.Fatalf("claims = %+v, want 2", f.Claims)
	}
	fs, err := s.Features(ctx, "bases")
	if err != nil || len(fs) != 1 || len(fs[0].Claims) != 2 {
		t.Fatalf("Features = %+v, %v", fs, err)
	}

	// The passage -> features index: p004-01 backs the base and the square.
	refs, err := s.PassageFeatures(ctx, "p004-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || refs[0].Feature != "gyumri-102nd-base" || refs[1].Feature != "square" {
		t.Errorf("PassageFeatures = %+v", refs)
	}
	p, err := s.Passage(ctx, "p004-02")
	if err != nil || p.Verified != layers.VerifiedExact || !strings.HasPrefix(p.Exact, "However, these claims") {
		t.Errorf("Passage = %+v, %v", p, err)
	}
	claims, err := s.Claims(ctx)
	if err != nil || len(claims) != 3 {
		t.Errorf("Claims = %d, %v; want 3", len(claims), err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("bbolt check: %v", err)
	}
	d, err := layers.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if ps := layers.Check(d); len(ps) > 0 {
		t.Errorf("stored dataset fails Check: %v", ps)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"layer":           second(s.Layer(ctx, "nope")),
		"features":        second(s.Features(ctx, "nope")),
		"feature":         second(s.Feature(ctx, "bases", "nope")),
		"feature layer":   second(s.Feature(ctx, "nope", "gyumri-102nd-base")),
		"source":          second(s.Source(ctx, "nope")),
		"passage":         second(s.Passage(ctx, "nope")),
		"passage sources": second(s.Passages(ctx, "nope")),
		"index":           second(s.PassageFeatures(ctx, "nope")),
	} {
		if layers.ErrorCode(err) != layers.ENOTFOUND {
			t.Errorf("%s: error %v, want not_found", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestFailedImportChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	before := must(os.ReadFile(path))(t)
	encBefore := must(layers.EncodeLayer(ctx, s, "bases"))(t)

	tests := map[string]func(d *layers.Dataset){
		"claim on missing passage": func(d *layers.Dataset) { d.Features["bases"][0].Claims[0].Passage = "p-missing" },
		"bad geometry":             func(d *layers.Dataset) { d.Features["bases"][0].Geometry = orb.Point{0, 95} },
		"source text changed": func(d *layers.Dataset) {
			d.Sources[0].Text = strings.Replace(d.Sources[0].Text, "Gyumri", "Gymri", 1)
			d.Passages = nil // the stored passages must still hold
		},
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			d := mini(t)
			d.Features["bases"][0].Properties["name"] = "renamed" // a change that must not land
			breakIt(d)
			_, err := s.Import(ctx, d.Import(), nil)
			if layers.ErrorCode(err) != layers.EINVALID {
				t.Fatalf("Import error = %v, want invalid", err)
			}
			if v := must(s.Version(ctx))(t); v != 1 {
				t.Errorf("version = %d after a failed import, want 1", v)
			}
			enc := must(layers.EncodeLayer(ctx, s, "bases"))(t)
			if !bytes.Equal(enc, encBefore) {
				t.Error("layer changed after a failed import")
			}
			after := must(os.ReadFile(path))(t)
			if !bytes.Equal(before, after) {
				t.Error("database file changed after a failed import")
			}
		})
	}
}

func TestReimportReplacesLayer(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	l1 := must(s.Layer(ctx, "zones"))(t)
	d := mini(t)
	d.Features["zones"][0].Claims = d.Features["zones"][0].Claims[:1]
	d.Features["zones"][0].Properties["name"] = "Renamed square"
	d.Features["zones"][0].ID = "square-2"
	v, err := s.Import(ctx, (&layers.Dataset{Layers: d.Layers[1:], Features: map[string][]layers.Feature{"zones": d.Features["zones"]}, Files: map[string]string{}}).Import(), nil)
	if err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	l2 := must(s.Layer(ctx, "zones"))(t)
	if l1.Revision == l2.Revision {
		t.Error("revision did not change with the layer")
	}
	if _, err := s.Feature(ctx, "zones", "square"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("old feature survived the replace: %v", err)
	}
	refs := must(s.PassageFeatures(ctx, "p004-01"))(t)
	if len(refs) != 2 || refs[1].Feature != "square-2" {
		t.Errorf("index after replace = %+v", refs)
	}
	b := must(s.Layer(ctx, "bases"))(t)
	if b.Version != 1 {
		t.Errorf("untouched layer version = %d, want 1", b.Version)
	}
}

func TestOpenLocked(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := Open(path, 300*time.Millisecond)
	if layers.ErrorCode(err) != layers.ELOCKED || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open = %v, want a locked error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %s", d)
	}
}

func TestPinnedVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	v1 := must(layers.EncodeLayer(ctx, s, "bases"))(t)
	d := mini(t)
	d.Features["bases"][0].Properties["status"] = "reinforced"
	if v, err := s.Import(ctx, d.Import(), nil); err != nil || v != 2 {
		t.Fatalf("second import = %d, %v", v, err)
	}
	old, err := s.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := must(layers.EncodeLayer(ctx, old, "bases"))(t)
	if !bytes.Equal(got, v1) {
		t.Error("version 1 changed after a later import")
	}
	f := must(old.Feature(ctx, "bases", "gyumri-102nd-base"))(t)
	if f.Properties["status"] != "active" || len(f.Claims) != 2 {
		t.Errorf("pinned feature = %+v", f)
	}
	latest := must(s.Feature(ctx, "bases", "gyumri-102nd-base"))(t)
	if latest.Properties["status"] != "reinforced" {
		t.Errorf("latest status = %v", latest.Properties["status"])
	}
	if n := must(old.Version(ctx))(t); n != 1 {
		t.Errorf("pinned Version = %d", n)
	}
	for _, v := range []int{0, -1, 3, 99} {
		if _, err := s.At(ctx, v); layers.ErrorCode(err) != layers.ENOTFOUND {
			t.Errorf("At(%d) = %v, want not_found", v, err)
		}
	}
	// Reopening keeps both versions: old buckets are not garbage.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Path(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	old2, err := s2.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := must(layers.EncodeLayer(ctx, old2, "bases"))(t); !bytes.Equal(got, v1) {
		t.Error("version 1 lost on reopen")
	}
}

// points yields n valid features citing p004-01, with a broken one at bad
// (or none when bad < 0).
func points(n, bad int) layers.LayerImport {
	return layers.LayerImport{
		File: "points.geojson",
		Features: func(yield func(layers.Feature, error) bool) {
			for i := 0; i < n; i++ {
				lon := 40 + float64(i%1000)/100
				if i == bad {
					lon = 400
				}
				f := layers.Feature{ID: "pt-" + strconv.Itoa(i), Geometry: orb.Point{lon, 41},
					Properties: map[string]any{"name": "point " + strconv.Itoa(i)},
					Claims:     []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
				if !yield(f, nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer { return layers.Layer{ID: "points", Title: "Points", Kind: layers.KindOther} },
		ID:    func() string { return "points" },
	}
}

// A failure after several batches were written leaves the store as it was,
// and the written batches are removed.
func TestLargeImportFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	n := 3*batchSize + 10
	_, err := s.Import(ctx, &layers.Import{Layers: []layers.LayerImport{points(n, n-5)}}, nil)
	if err == nil || !strings.Contains(err.Error(), "points/pt-"+strconv.Itoa(n-5)) || !strings.Contains(err.Error(), "outside lon") {
		t.Fatalf("Import = %v, want the bad point named", err)
	}
	if v := must(s.Version(ctx))(t); v != 1 {
		t.Errorf("version = %d", v)
	}
	if _, err := s.Layer(ctx, "points"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("half-imported layer visible: %v", err)
	}
	if n := uncommitted(t, s); n != 0 {
		t.Errorf("%d records of the failed import left after the rollback", n)
	}

	var seen []int
	v, err := s.Import(ctx, &layers.Import{Layers: []layers.LayerImport{points(n, -1)}}, func(k int) { seen = append(seen, k) })
	if err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	l := must(s.Layer(ctx, "points"))(t)
	if l.Count != n {
		t.Errorf("count = %d, want %d", l.Count, n)
	}
	if len(seen) < 3 || seen[len(seen)-1] != n {
		t.Errorf("progress = %v", seen)
	}
}

// Records left by an import that died are removed at the next open.
func TestOpenCollectsAbandonedImports(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	ch := newChange(1)
	err := s.db.View(func(tx *bbolt.Tx) error {
		for f := range points(10, -1).Features {
			if err := ch.putFeature(tx, "bases", f); err != nil {
				return err
			}
		}
		return ch.putPassage(tx, layers.Passage{ID: "p004-01", Source: "004"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.flush(s.db); err != nil {
		t.Fatal(err)
	}
	if n := uncommitted(t, s); n != 21 { // 10 features, 10 index entries, 1 passage
		t.Fatalf("%d records before reopening, want 21", n)
	}
	if fs := must(s.Features(ctx, "bases"))(t); len(fs) != 1 {
		t.Errorf("readers see %d bases while the version is incomplete, want 1", len(fs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := uncommitted(t, s2); n != 0 {
		t.Errorf("%d records of the dead import after reopening, want 0", n)
	}
	if err := s2.Check(); err != nil {
		t.Error(err)
	}
	// The next version reuses the number cleanly.
	if v, err := s2.Import(ctx, mini(t).Import(), nil); err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	if fs := must(s2.Features(ctx, "bases"))(t); len(fs) != 1 {
		t.Errorf("%d bases after the next import, want 1", len(fs))
	}
}

// uncommitted counts the records above the latest committed version.
func uncommitted(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		latest := currentVersion(tx)
		count := func(b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if _, ver, ok := split(k); ok && ver > latest && v != nil {
					n++
				}
				return nil
			})
		}
		for _, name := range versioned {
			if err := count(tx.Bucket(name)); err != nil {
				return err
			}
		}
		fb := tx.Bucket(bucketFeatures)
		return fb.ForEachBucket(func(name []byte) error { return count(fb.Bucket(name)) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUncitedImport(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	plain := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[44,40]},"properties":{"name":"A"}}]}`
	imp, err := layers.OpenImport(fstest.MapFS{"towns.geojson": {Data: []byte(plain)}}, "towns.geojson", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, imp, nil); err != nil {
		t.Fatalf("plain GeoJSON refused: %v", err)
	}
	l := must(s.Layer(ctx, "towns"))(t)
	if !l.Uncited || l.Count != 1 {
		t.Errorf("layer = %+v, want uncited with 1 feature", l)
	}
	d := must(layers.Load(ctx, s))(t)
	ps := layers.Check(d)
	if len(ps) != 1 || !ps[0].Warning {
		t.Errorf("Check = %v, want one warning", ps)
	}
}

// must ends the test on err, else gives v: must(s.Version(ctx))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
