package server

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
)

// A collection states its geometry type, and its queryables list the
// geometry with that type, before a client reads a feature.
func TestCollectionGeometryType(t *testing.T) {
	s := newServer(t)
	for _, tt := range []struct {
		layer, typ, format string
		dim                float64
	}{
		{"bases", "Point", "geometry-point", 0},
		{"zones", "Polygon", "geometry-polygon", 2},
	} {
		_, b := do(t, s, "GET", "/collections/"+tt.layer)
		col := decode(t, b)
		if col["geometry_type"] != tt.typ || col["geometryDimension"] != tt.dim {
			t.Errorf("%s: geometry_type %v, geometryDimension %v; want %s %v", tt.layer, col["geometry_type"], col["geometryDimension"], tt.typ, tt.dim)
		}
		_, b = do(t, s, "GET", "/collections/"+tt.layer+"/queryables")
		g, _ := decode(t, b)["properties"].(map[string]any)["geometry"].(map[string]any)
		if g["format"] != tt.format || g["x-ogc-role"] != "primary-geometry" {
			t.Errorf("%s queryables geometry = %v", tt.layer, g)
		}
		// geometry is described, not a filter parameter.
		if res, _ := do(t, s, "GET", "/collections/"+tt.layer+"/items?geometry=x"); res.StatusCode != 400 {
			t.Errorf("%s: items?geometry= answered %d", tt.layer, res.StatusCode)
		}
	}
	_, b := do(t, s, "GET", "/collections")
	for _, c := range decode(t, b)["collections"].([]any) {
		if c.(map[string]any)["geometry_type"] == nil {
			t.Errorf("/collections: %v has no geometry_type", c.(map[string]any)["id"])
		}
	}
}

func TestGeometryFormat(t *testing.T) {
	line := orb.LineString{{0, 0}, {1, 1}}
	for _, tt := range []struct {
		geoms []orb.Geometry
		want  string
	}{
		{nil, "geometry-any"},
		{[]orb.Geometry{orb.MultiLineString{line}}, "geometry-multilinestring"},
		{[]orb.Geometry{line, orb.MultiLineString{line}}, "geometry-linestring-or-multilinestring"},
		{[]orb.Geometry{line, orb.Point{1, 1}}, "geometry-any"},
		{[]orb.Geometry{orb.Collection{line}}, "geometry-geometrycollection"},
	} {
		var ts geo.TypeSet
		for _, g := range tt.geoms {
			ts.Add(g)
		}
		if got := geometryFormat(ts); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.geoms, got, tt.want)
		}
	}
}
