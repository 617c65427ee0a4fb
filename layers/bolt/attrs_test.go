package bolt

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// attrsAt is what Attributes gives of layer from id from on: each
// feature's validity and properties (decoded), by feature. It checks each
// against the feature's body, which Attributes leaves out only the
// geometry of.
func attrsAt(t *testing.T, r layers.Reader, layer, from string) (ids []string, got map[string]map[string]any) {
	t.Helper()
	got = map[string]map[string]any{}
	err := r.(layers.Indexed).ReadIndex(context.Background(), layer, func(li layers.LayerIndex) error {
		return li.Attributes(from, func(a layers.Body) bool {
			b, ok, err := li.Body(a.ID)
			if err != nil || !ok {
				t.Errorf("%s: attributes without a body (%v)", a.ID, err)
				return false
			}
			if a.Bound != b.Bound || a.From != b.From || a.To != b.To || string(a.Properties) != string(b.Properties) {
				t.Errorf("%s: attributes %v %q %q %s differ from the body's %v %q %q %s", a.ID, a.Bound, a.From, a.To, a.Properties, b.Bound, b.From, b.To, b.Properties)
			}
			if a.Geometry != nil || a.WKB != nil || a.Passages != nil {
				t.Errorf("%s: attributes carry the geometry or the passages", a.ID)
			}
			var p map[string]any
			if err := json.Unmarshal(a.Properties, &p); err != nil {
				t.Errorf("%s: properties %s: %v", a.ID, a.Properties, err)
				return false
			}
			p["valid"] = a.From + "/" + a.To
			ids = append(ids, a.ID)
			got[a.ID] = p
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, got
}

// A layer's attributes (each body without its geometry) are kept per
// version beside the bodies, in id order: a changed feature has its new
// ones from its version on, a deleted one none, and a pinned version reads
// the ones it had.
func TestAttributes(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t).Import(), nil); err != nil {
		t.Fatal(err)
	}
	_, v1 := attrsAt(t, s, "bases", "")
	g := v1["gyumri-102nd-base"]
	if len(v1) != 1 || g["name"] != "Russian 102nd Military Base, Gyumri" || g["status"] != "active" || g["source_count"] != 1.0 || g["passage_ids"] != "p004-01;p004-02" {
		t.Fatalf("attributes at version 1 = %v", v1)
	}
	gyumri, err := s.Feature(ctx, "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	gyumri.Properties["status"] = "closed"
	gyumri.Properties["valid_to"] = "2026-01-01"
	added := layers.Feature{ID: "a-new-base", Layer: "bases", Geometry: orb.Point{45, 42}, Properties: map[string]any{"name": "New base", "status": "planned", "valid_from": "2025-06"},
		Claims: []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	moved := layers.Feature{ID: "z-moved", Layer: "bases", Geometry: orb.Point{44, 40}, Properties: map[string]any{"name": "Moved"},
		Claims: []layers.Claim{{Passage: "p004-02", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{gyumri, added, moved}}); err != nil {
		t.Fatal(err)
	}
	ids, v2 := attrsAt(t, s, "bases", "")
	if want := []string{"a-new-base", "gyumri-102nd-base", "z-moved"}; !slices.Equal(ids, want) {
		t.Fatalf("features at version 2 = %v, want %v (id order)", ids, want)
	}
	if v2["gyumri-102nd-base"]["status"] != "closed" || v2["gyumri-102nd-base"]["valid"] != "/2026-01-01" || v2["a-new-base"]["valid"] != "2025-06/" {
		t.Errorf("attributes at version 2 = %v", v2)
	}
	// From an id on: the first at or after it.
	if ids, _ := attrsAt(t, s, "bases", "b"); !slices.Equal(ids, []string{"gyumri-102nd-base", "z-moved"}) {
		t.Errorf("Attributes from b = %v", ids)
	}
	// A feature moved far away changes cell, not its place in id order; its
	// geometry alone changed, so its attributes but the bound did not.
	moved.Geometry = orb.Point{70, 45}
	if _, err := s.Publish(ctx, &layers.Change{Upserts: []layers.Feature{moved}, Deletes: []layers.FeatureKey{{Layer: "bases", ID: "a-new-base"}}}); err != nil {
		t.Fatal(err)
	}
	ids, _ = attrsAt(t, s, "bases", "")
	if want := []string{"gyumri-102nd-base", "z-moved"}; !slices.Equal(ids, want) {
		t.Errorf("features at version 3 = %v, want %v", ids, want)
	}
	old, err := s.At(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, got := attrsAt(t, old, "bases", ""); !maps.EqualFunc(got, v1, func(a, b map[string]any) bool { return maps.Equal(a, b) }) {
		t.Errorf("attributes of pinned version 1 = %v, want %v", got, v1)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	err = s.ReadIndex(ctx, "no-such-layer", func(li layers.LayerIndex) error { return li.Attributes("", func(layers.Body) bool { return true }) })
	if layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("Attributes of a missing layer = %v", err)
	}
}
