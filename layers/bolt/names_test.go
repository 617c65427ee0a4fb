package bolt

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// namesAt is what Names gives of layer, by feature.
func namesAt(t *testing.T, r layers.Reader, layer string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := r.(layers.Named).Names(context.Background(), layer, func(id string, b orb.Bound, names []byte) error {
		var m map[string]string
		if err := json.Unmarshal(names, &m); err != nil {
			return err
		}
		if b.IsZero() {
			t.Errorf("%s: no bound", id)
		}
		out[id] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A layer's names are kept apart from its bodies, per version: a renamed
// feature has its new names from its version on, a deleted one none, and
// a pinned version reads the names it had. Only names go in: name, name_*
// and aliases.
func TestNames(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	v1 := namesAt(t, s, "bases")
	if want := (map[string]map[string]string{"gyumri-102nd-base": {"name": "Russian 102nd Military Base, Gyumri"}}); !maps.EqualFunc(v1, want, maps.Equal) {
		t.Fatalf("names at version 1 = %v, want %v", v1, want)
	}
	gyumri, err := s.Feature(ctx, "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	gyumri.Properties["name"] = "102nd Base"
	gyumri.Properties["name_hy"] = "Գյումրի"
	gyumri.Properties["aliases"] = "Gyumri base; Leninakan"
	added := layers.Feature{ID: "new-base", Layer: "bases", Geometry: orb.Point{45, 42}, Properties: map[string]any{"name": "New base", "status": "planned"},
		Claims: []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{gyumri, added}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"gyumri-102nd-base": {"name": "102nd Base", "name_hy": "Գյումրի", "aliases": "Gyumri base; Leninakan"},
		"new-base":          {"name": "New base"},
	}
	if got := namesAt(t, s, "bases"); !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("names at version 2 = %v, want %v", got, want)
	}
	if _, err := s.Publish(ctx, &layers.Change{Deletes: []layers.FeatureKey{{Layer: "bases", ID: "new-base"}}}); err != nil {
		t.Fatal(err)
	}
	delete(want, "new-base")
	if got := namesAt(t, s, "bases"); !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("names at version 3 = %v, want %v", got, want)
	}
	old, err := s.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := namesAt(t, old, "bases"); !maps.EqualFunc(got, v1, maps.Equal) {
		t.Errorf("names of pinned version 1 = %v, want %v", got, v1)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	err = s.Names(ctx, "no-such-layer", func(string, orb.Bound, []byte) error { return nil })
	if layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("Names of a missing layer = %v", err)
	}
}
