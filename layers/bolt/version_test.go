package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// shorten returns d with passage id's quote cut to its first n words,
// re-anchored in its source.
func shorten(t *testing.T, d *layers.Dataset, id string, n int) *layers.Dataset {
	t.Helper()
	i := slices.IndexFunc(d.Passages, func(p layers.Passage) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("no passage %s", id)
	}
	p := &d.Passages[i]
	src := d.Sources[slices.IndexFunc(d.Sources, func(s layers.Source) bool { return s.ID == p.Source })]
	exact := strings.Join(strings.Fields(p.Exact)[:n], " ")
	sel, err := layers.Anchor(src.Text, exact)
	if err != nil {
		t.Fatal(err)
	}
	p.Selector = sel
	return d
}

// snapshotOf is everything a reader of one version can see, encoded.
func snapshotOf(t *testing.T, r layers.Reader) string {
	t.Helper()
	ctx := context.Background()
	d, err := layers.Load(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := r.Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var refs []layers.FeatureRef
	for _, p := range d.Passages {
		fr, err := r.PassageFeatures(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, fr...)
	}
	var b strings.Builder
	for _, l := range d.Layers {
		enc, err := layers.EncodeLayer(ctx, r, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(enc)
	}
	for _, v := range []any{d.Layers, d.Features, d.Sources, d.Passages, claims, refs} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
	}
	return b.String()
}

func TestEvidenceIsVersioned(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	v1 := snapshotOf(t, s)
	before, _ := s.Passage(ctx, "p004-02")
	bases1, _ := s.Layer(ctx, "bases")
	zones1, _ := s.Layer(ctx, "zones")

	// v2: p004-02, cited by bases only, loses words.
	if v, err := s.Import(ctx, shorten(t, mini(t), "p004-02", 5).Import(), nil); err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	old, err := s.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshotOf(t, old); got != v1 {
		t.Error("version 1 reads differently after an import that changed a quote")
	}
	p1, _ := old.Passage(ctx, "p004-02")
	p2, _ := s.Passage(ctx, "p004-02")
	if p1 != before || p2.Exact != "However, these claims were swiftly" || p2.End >= p1.End {
		t.Errorf("passage at v1 = %+v\nat v2 = %+v", p1, p2)
	}
	ps1, _ := old.Passages(ctx, "s004")
	if len(ps1) != 2 || ps1[1].Exact != before.Exact {
		t.Errorf("Passages at v1 = %+v", ps1)
	}
	bases2, _ := s.Layer(ctx, "bases")
	zones2, _ := s.Layer(ctx, "zones")
	if bases2.Revision == bases1.Revision || bases2.Version != 2 {
		t.Errorf("bases shows the changed quote but its revision/version stayed %s/%d", bases2.Revision, bases2.Version)
	}
	if zones2 != zones1 {
		t.Errorf("zones does not cite the changed quote but changed: %+v -> %+v", zones1, zones2)
	}
	if l, _ := old.Layer(ctx, "bases"); l != bases1 {
		t.Errorf("bases at v1 = %+v, want %+v", l, bases1)
	}

	// v3: the source's metadata changes; every layer citing it changes.
	d := shorten(t, mini(t), "p004-02", 5)
	d.Sources[0].Publisher = "Example Publisher"
	if _, err := s.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	if src, _ := old.Source(ctx, "s004"); src.Publisher != "" {
		t.Errorf("source at v1 shows the later publisher %q", src.Publisher)
	}
	if src, _ := s.Source(ctx, "s004"); src.Publisher != "Example Publisher" {
		t.Errorf("source at v3 = %q", src.Publisher)
	}
	for _, id := range []string{"bases", "zones"} {
		l2, _ := s.At(ctx, 2)
		a, _ := l2.Layer(ctx, id)
		b, _ := s.Layer(ctx, id)
		if a.Revision == b.Revision {
			t.Errorf("%s cites the changed source but kept revision %s", id, a.Revision)
		}
	}

	// A claim's note changes: only the layer holding it changes.
	d = shorten(t, mini(t), "p004-02", 5)
	d.Sources[0].Publisher = "Example Publisher"
	d.Features["bases"][0].Claims[0].Note = "a note"
	if _, err := s.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	v3, _ := s.At(ctx, 3)
	for id, changed := range map[string]bool{"bases": true, "zones": false} {
		a, _ := v3.Layer(ctx, id)
		b, _ := s.Layer(ctx, id)
		if (a.Revision != b.Revision) != changed {
			t.Errorf("%s: revision %s -> %s after a claim's note changed in bases", id, a.Revision, b.Revision)
		}
	}
}

// recordCount counts every stored record, per bucket.
func recordCount(t *testing.T, s *Store) map[string]int {
	t.Helper()
	n := map[string]int{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return b.Bucket(k).ForEach(func(_, _ []byte) error { n[string(name)]++; return nil })
				}
				n[string(name)]++
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnchangedImportWritesOnlyAVersion(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	n1 := recordCount(t, s)
	l1, _ := s.Layers(ctx)
	if v, err := s.Import(ctx, mini(t).Import(), nil); err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	n2 := recordCount(t, s)
	want := maps.Clone(n1)
	want["versions"]++
	if !maps.Equal(n2, want) {
		t.Errorf("records after an unchanged import = %v, want %v", n2, want)
	}
	l2, _ := s.Layers(ctx)
	if !slices.Equal(l1, l2) {
		t.Errorf("layers changed with an unchanged import:\n%+v\n%+v", l1, l2)
	}

	// One changed passage writes that passage and the description of the
	// layer citing it.
	if _, err := s.Import(ctx, shorten(t, mini(t), "p004-02", 5).Import(), nil); err != nil {
		t.Fatal(err)
	}
	n3 := recordCount(t, s)
	want["versions"]++
	want["passages"]++
	want["layers"]++
	if !maps.Equal(n3, want) {
		t.Errorf("records after a one-passage change = %v, want %v", n3, want)
	}
}

func gyumri(t *testing.T, s layers.Reader) layers.Feature {
	t.Helper()
	f, err := s.Feature(context.Background(), "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	v1 := snapshotOf(t, s)
	l1, _ := s.Layer(ctx, "bases")
	newBase := layers.Feature{ID: "new-base", Layer: "bases", Geometry: orb.Point{45, 42},
		Properties: map[string]any{"name": "New base", "valid_from": "2024-01-01"},
		Claims:     []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	v, err := s.Publish(ctx, &layers.Change{Author: "ed", Message: "add a base", Changeset: "c1", Upserts: []layers.Feature{newBase}})
	if err != nil || v != 2 {
		t.Fatalf("Publish = %d, %v", v, err)
	}
	got, err := s.Feature(ctx, "bases", "new-base")
	if err != nil || got.Name() != "New base" || len(got.Claims) != 1 || got.Claims[0].Layer != "bases" {
		t.Fatalf("published feature = %+v, %v", got, err)
	}
	l2, _ := s.Layer(ctx, "bases")
	if l2.Count != 2 || l2.Revision == l1.Revision || l2.Version != 2 ||
		l2.Bound != l1.Bound.Union(orb.Point{45, 42}.Bound()) || l2.Temporal != [2]string{"2024-01-01", ""} {
		t.Errorf("layer after publish = %+v", l2)
	}
	refs, _ := s.PassageFeatures(ctx, "p004-02")
	if len(refs) != 2 || refs[1].Feature != "new-base" || refs[1].Name != "New base" {
		t.Errorf("PassageFeatures = %+v", refs)
	}
	old, _ := s.At(ctx, 1)
	if snapshotOf(t, old) != v1 {
		t.Error("version 1 changed with a publish")
	}
	// Re-derive the layer from scratch: the incremental statistics agree.
	d, _ := layers.Load(ctx, s)
	if ps := layers.Check(d); len(ps) > 0 {
		t.Errorf("published version fails Check: %v", ps)
	}

	// Delete the original base: the layer's bound shrinks to the new one.
	v, err = s.Publish(ctx, &layers.Change{Author: "rev", Message: "remove", Deletes: []layers.FeatureKey{{Layer: "bases", ID: "gyumri-102nd-base"}}})
	if err != nil || v != 3 {
		t.Fatalf("Publish delete = %d, %v", v, err)
	}
	if _, err := s.Feature(ctx, "bases", "gyumri-102nd-base"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("deleted feature: %v", err)
	}
	if l3, _ := s.Layer(ctx, "bases"); l3.Count != 1 || l3.Bound != (orb.Point{45, 42}).Bound() || l3.Temporal != [2]string{"2024-01-01", ""} {
		t.Errorf("layer after delete = %+v", l3)
	}
	if refs, _ := s.PassageFeatures(ctx, "p004-01"); len(refs) != 1 || refs[0].Feature != "square" {
		t.Errorf("PassageFeatures after delete = %+v", refs)
	}
	v2, _ := s.At(ctx, 2)
	gyumri(t, v2)

	h, err := s.History(ctx, "bases", "gyumri-102nd-base")
	if err != nil || len(h) != 2 || h[0].Version != 1 || h[1].Version != 3 || !h[1].Deleted || h[1].Author != "rev" || h[0].Feature.Name() != "Russian 102nd Military Base, Gyumri" {
		t.Errorf("History = %+v, %v", h, err)
	}
	h, err = s.History(ctx, "bases", "new-base")
	if err != nil || len(h) != 1 || h[0].Author != "ed" || h[0].Message != "add a base" || h[0].Changeset != "c1" || h[0].Time.IsZero() {
		t.Errorf("History = %+v, %v", h, err)
	}
	if _, err := s.History(ctx, "bases", "nope"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("History of a missing feature: %v", err)
	}
	vs, err := s.Versions(ctx)
	if err != nil || len(vs) != 3 || vs[1].Author != "ed" || vs[0].Message == "" {
		t.Errorf("Versions = %+v, %v", vs, err)
	}
}

func TestPublishPassageChangesCitingLayers(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	b1, _ := s.Layer(ctx, "bases")
	z1, _ := s.Layer(ctx, "zones")
	p := shorten(t, mini(t), "p004-02", 4).Passages[1]
	if _, err := s.Publish(ctx, &layers.Change{Passages: []layers.Passage{p}}); err != nil {
		t.Fatal(err)
	}
	b2, _ := s.Layer(ctx, "bases")
	z2, _ := s.Layer(ctx, "zones")
	if b2.Revision == b1.Revision || z2 != z1 {
		t.Errorf("bases %s -> %s (must change), zones %s -> %s (must not)", b1.Revision, b2.Revision, z1.Revision, z2.Revision)
	}
	if got, _ := s.Passage(ctx, "p004-02"); got.Exact != "However, these claims were" {
		t.Errorf("passage = %q", got.Exact)
	}
}

func TestPublishInvalidWritesNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	good := func() layers.Feature {
		return layers.Feature{ID: "x", Layer: "bases", Geometry: orb.Point{44, 40}, Properties: map[string]any{"name": "X"},
			Claims: []layers.Claim{{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	}
	src, _ := s.Source(ctx, "s004")
	tests := map[string]struct {
		change layers.Change
		want   []string
	}{
		"claim on a missing passage": {layers.Change{Upserts: []layers.Feature{func() layers.Feature {
			f := good()
			f.Claims[0].Passage = "p-missing"
			return f
		}()}}, []string{"bases/x", `passage "p-missing"`}},
		"bad geometry": {layers.Change{Upserts: []layers.Feature{func() layers.Feature {
			f := good()
			f.Geometry = orb.Point{0, 95}
			return f
		}()}}, []string{"bases/x", "lat"}},
		"no supporting claim in a cited layer": {layers.Change{Upserts: []layers.Feature{func() layers.Feature {
			f := good()
			f.Claims[0].Relation = layers.Contradicts
			return f
		}()}}, []string{"bases/x", "no supporting passage"}},
		"unknown layer": {layers.Change{Upserts: []layers.Feature{func() layers.Feature {
			f := good()
			f.Layer = "nope"
			return f
		}()}}, []string{"nope/x", `layer "nope" does not exist`}},
		"delete a missing feature": {layers.Change{Deletes: []layers.FeatureKey{{Layer: "bases", ID: "nope"}}}, []string{"bases/nope", "does not exist"}},
		"quote not at its offsets": {layers.Change{Passages: []layers.Passage{{ID: "p004-09", Source: "s004",
			Selector: layers.Selector{Exact: "Gyumri", Start: 0, End: 6}}}}, []string{"p004-09"}},
		"source text drops a passage": {layers.Change{Sources: []layers.Source{func() layers.Source {
			s := src
			s.Text = strings.Replace(s.Text, "swiftly denied", "denied", 1)
			s.SHA256 = layers.TextHash(s.Text)
			return s
		}()}}, []string{"p004-02"}},
		"two problems, one good feature": {layers.Change{Upserts: []layers.Feature{good(), func() layers.Feature {
			f := good()
			f.ID = "y"
			f.Geometry = orb.Point{400, 0}
			return f
		}()}, Deletes: []layers.FeatureKey{{Layer: "bases", ID: "x"}}}, []string{"bases/y", "bases/x", "both changed and deleted"}},
		"empty": {layers.Change{}, []string{"empty"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.Publish(ctx, &tt.change)
			if layers.ErrorCode(err) != layers.EINVALID {
				t.Fatalf("Publish = %v, want invalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if v, _ := s.Version(ctx); v != 1 {
				t.Errorf("version = %d after a refused publish", v)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("database file changed after a refused publish")
			}
		})
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil { // v1
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, shorten(t, mini(t), "p004-02", 5).Import(), nil); err != nil { // v2
		t.Fatal(err)
	}
	f := gyumri(t, s)
	f.Properties["status"] = "reinforced"
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{f}}); err != nil { // v3
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, &layers.Change{Deletes: []layers.FeatureKey{{Layer: "zones", ID: "square"}}}); err != nil { // v4
		t.Fatal(err)
	}
	f.Properties["status"] = "active"
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{f}}); err != nil { // v5
		t.Fatal(err)
	}
	reads := map[int]string{}
	for v := 1; v <= 5; v++ {
		r, _ := s.At(ctx, v)
		reads[v] = snapshotOf(t, r)
	}
	records := recordCount(t, s)

	if _, err := s.Prune(ctx, time.Now().Add(time.Hour), []int{9}); layers.ErrorCode(err) != layers.EINVALID {
		t.Errorf("keeping a version that does not exist: %v", err)
	}
	removed, err := s.Prune(ctx, time.Now().Add(time.Hour), []int{2})
	if err != nil || !slices.Equal(removed, []int{1, 3, 4}) {
		t.Fatalf("Prune = %v, %v; want [1 3 4]", removed, err)
	}
	for _, v := range []int{1, 3, 4} {
		if _, err := s.At(ctx, v); layers.ErrorCode(err) != layers.ENOTFOUND {
			t.Errorf("At(%d) after prune = %v", v, err)
		}
	}
	for _, v := range []int{2, 5} {
		r, err := s.At(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if snapshotOf(t, r) != reads[v] {
			t.Errorf("version %d reads differently after the prune", v)
		}
	}
	if after := recordCount(t, s); after["features"] >= records["features"] || after["passages"] >= records["passages"] {
		t.Errorf("records before %v, after %v: nothing was freed", records, after)
	}
	vs, _ := s.Versions(ctx)
	if len(vs) != 5 || !vs[0].Pruned || vs[1].Pruned || !vs[3].Pruned || vs[4].Pruned {
		t.Errorf("Versions = %+v", vs)
	}
	// Pruning again removes nothing; the latest is never pruned.
	if removed, err := s.Prune(ctx, time.Now().Add(time.Hour), nil); err != nil || !slices.Equal(removed, []int{2}) {
		t.Errorf("second Prune = %v, %v", removed, err)
	}
	r, _ := s.At(ctx, 5)
	if snapshotOf(t, r) != reads[5] {
		t.Error("the latest version changed with a prune")
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// Publishing one feature into a large layer writes that feature, its index
// entry, the layer's description and the version: not the layer.
func TestPublishWritesOnlyTheChange(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	imp := mini(t).Import()
	n := 3*batchSize + 10
	imp.Layers = append(imp.Layers, points(n, -1))
	if _, err := s.Import(ctx, imp, nil); err != nil {
		t.Fatal(err)
	}
	before := recordCount(t, s)
	f := layers.Feature{ID: "one-more", Layer: "points", Geometry: orb.Point{44, 41}, Properties: map[string]any{"name": "one more"},
		Claims: []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{f}}); err != nil {
		t.Fatal(err)
	}
	after := recordCount(t, s)
	want := maps.Clone(before)
	want["features"]++
	want["bodies"]++ // its stored body, filed in its cell of the spatial index
	want["ids"]++    // its cell
	want["attrs"]++  // its attributes, for filters and search
	want["cites"]++
	want["layers"]++
	want["versions"]++
	// At each stored zoom of the tile levels: its record, and the tombstone
	// of a record it replaces in a crowded cell.
	if d := after["levels"] - before["levels"]; d >= 1 && d <= 2*len(tiles.Levels()) {
		want["levels"] = after["levels"]
	}
	if !maps.Equal(after, want) {
		t.Errorf("records after publishing one feature = %v, want %v", after, want)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	if l, _ := s.Layer(ctx, "points"); l.Count != n+1 {
		t.Errorf("count = %d, want %d", l.Count, n+1)
	}
}

// A layer whose id is known only at its end (its `layer` member after the
// features) is held until then, and imports whole.
func TestImportLayerIDKnownLate(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	li := points(2*batchSize+3, -1)
	li.ID = nil
	if _, err := s.Import(ctx, &layers.Import{Layers: []layers.LayerImport{li}}, nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Layer(ctx, "points"); l.Count != 2*batchSize+3 {
		t.Errorf("count = %d", l.Count)
	}
	// A stream that names one id early and another at its end is refused.
	li = points(batchSize+1, -1)
	li.ID = func() string { return "early" }
	_, err := s.Import(ctx, &layers.Import{Layers: []layers.LayerImport{li}}, nil)
	if layers.ErrorCode(err) != layers.EINVALID || !strings.Contains(err.Error(), `changed from "early" to "points"`) {
		t.Errorf("Import = %v", err)
	}
	if n := uncommitted(t, s); n != 0 {
		t.Errorf("%d records of the refused import left", n)
	}
	if _, err := s.Layer(ctx, "early"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("layer early: %v", err)
	}
}

func TestOpenRefusesAnOldSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchema, u64(9)) // the format with names instead of attributes
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func(string, time.Duration) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
		_, err := open(path, time.Second)
		if layers.ErrorCode(err) != layers.EINVALID || !strings.Contains(err.Error(), "has schema 9; this mapserver reads schema 10 (re-import") {
			t.Errorf("%s = %v", name, err)
		}
	}
}
