package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestTypeSet(t *testing.T) {
	pt, mpt := orb.Point{1, 2}, orb.MultiPoint{{1, 2}}
	ls, mls := orb.LineString{{0, 0}, {1, 1}}, orb.MultiLineString{{{0, 0}, {1, 1}}}
	poly := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	mpoly := orb.MultiPolygon{poly}
	tests := []struct {
		geoms      []orb.Geometry
		typ, class string
		dim        int
	}{
		{nil, "", "", -1},
		{[]orb.Geometry{pt, pt}, "Point", Points, 0},
		{[]orb.Geometry{pt, mpt}, "MultiPoint", Points, 0},
		{[]orb.Geometry{mls}, "MultiLineString", Lines, 1},
		{[]orb.Geometry{ls, mls}, "MultiLineString", Lines, 1},
		{[]orb.Geometry{poly, mpoly}, "MultiPolygon", Areas, 2},
		{[]orb.Geometry{poly, mls}, "Geometry", "", -1},
		{[]orb.Geometry{mpt, ls}, "Geometry", "", -1},
		{[]orb.Geometry{pt, mpt, ls}, "Geometry", "", -1},
		{[]orb.Geometry{orb.Collection{pt}}, "GeometryCollection", Collections, -1},
	}
	for _, tt := range tests {
		var s TypeSet
		for _, g := range tt.geoms {
			s.Add(g)
		}
		if s.Type() != tt.typ || s.Class() != tt.class || Dimension(s.Class()) != tt.dim {
			t.Errorf("%v: type %q class %q dim %d, want %q %q %d", tt.geoms, s.Type(), s.Class(), Dimension(s.Class()), tt.typ, tt.class, tt.dim)
		}
	}
}
