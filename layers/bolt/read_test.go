package bolt

import (
	"context"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// claimsOfFeatures is every claim of r's features, layer by layer in id
// order, feature by feature in id order: what Claims must give.
func claimsOfFeatures(t *testing.T, r layers.Reader) []layers.Claim {
	t.Helper()
	ctx := context.Background()
	ls, err := r.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []layers.Claim
	for _, l := range ls {
		fs, err := r.Features(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out = append(out, f.Claims...)
		}
	}
	return out
}

// Claims are read through the passages' index, not by walking every
// feature: they must be every feature's claims all the same, in the same
// order, at each version, as claims come, go and move between features.
func TestClaimsAreEveryFeaturesClaims(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	check := func(r layers.Reader, when string) []layers.Claim {
		t.Helper()
		got, err := r.Claims(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := claimsOfFeatures(t, r)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: Claims = %v\nwant %v", when, got, want)
		}
		return got
	}
	v1 := check(s, "version 1")
	gyumri, err := s.Feature(ctx, "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	gyumri.Claims = gyumri.Claims[:1] // one claim fewer
	cited := func(id string, p string) layers.Feature {
		return layers.Feature{ID: id, Layer: "bases", Geometry: orb.Point{44, 40}, Properties: map[string]any{"name": id},
			Claims: []layers.Claim{{Passage: p, Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{gyumri, cited("a-first", "p004-02"), cited("zz-last", "p004-01")}}); err != nil {
		t.Fatal(err)
	}
	check(s, "version 2")
	if _, err := s.Publish(ctx, &layers.Change{Deletes: []layers.FeatureKey{{Layer: "bases", ID: "a-first"}}}); err != nil {
		t.Fatal(err)
	}
	check(s, "version 3")
	old, err := s.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := check(old, "pinned version 1"); !slices.Equal(got, v1) {
		t.Errorf("pinned version 1 = %v, want %v", got, v1)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
