package edit

import (
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

// A diff's geometries are GeoJSON geometry objects, so a client can draw
// the before and after of a line or a polygon on a map.
func TestDiffGeometryIsGeoJSON(t *testing.T) {
	before := &layers.Feature{ID: "r", Layer: "corridors", Geometry: orb.LineString{{46, 39}, {46.1, 39.1}}, Properties: map[string]any{"name": "Road"}}
	after := &layers.Feature{ID: "r", Layer: "corridors", Geometry: orb.LineString{{46, 39}, {46.2, 39.2}}, Properties: map[string]any{"name": "Road"}}
	tests := []struct {
		name string
		edit layers.Edit
		want [2]string // types before, after ("" for none)
	}{
		{"replace", layers.Edit{Layer: "corridors", ID: "r", Op: layers.OpReplace, Before: before, After: after}, [2]string{"LineString", "LineString"}},
		{"create", layers.Edit{Layer: "corridors", ID: "r", Op: layers.OpCreate, After: after}, [2]string{"", "LineString"}},
		{"delete", layers.Edit{Layer: "corridors", ID: "r", Op: layers.OpDelete, Before: before}, [2]string{"LineString", ""}},
	}
	for _, tt := range tests {
		b, err := json.Marshal(DiffOf(tt.edit))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Before *struct {
				Type        string      `json:"type"`
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"geometry_before"`
			After *struct {
				Type        string      `json:"type"`
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"geometry_after"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v in %s", tt.name, err, b)
		}
		types := [2]string{}
		if got.Before != nil {
			types[0] = got.Before.Type
		}
		if got.After != nil {
			types[1] = got.After.Type
		}
		if types != tt.want {
			t.Errorf("%s: geometry types %v, want %v (%s)", tt.name, types, tt.want, b)
		}
		if got.After != nil && len(got.After.Coordinates) != 2 {
			t.Errorf("%s: after coordinates %v", tt.name, got.After.Coordinates)
		}
	}
}
