package geo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestLabelPoint(t *testing.T) {
	// An L: the bound's centre lies outside it; the label point must not.
	l := orb.Polygon{{{0, 0}, {10, 0}, {10, 2}, {2, 2}, {2, 10}, {0, 10}, {0, 0}}}
	small := orb.Polygon{{{20, 20}, {21, 20}, {21, 21}, {20, 21}, {20, 20}}}
	for _, tt := range []struct {
		name string
		g    orb.Geometry
		in   orb.Polygon
	}{
		{"L-shaped polygon", l, l},
		{"largest part of a multipolygon", orb.MultiPolygon{small, l}, l},
	} {
		p, ok := LabelPoint(tt.g)
		if !ok || !planar.PolygonContains(tt.in, p) {
			t.Errorf("%s: label at %v (ok %v), not inside", tt.name, p, ok)
		}
	}
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}, orb.MultiPolygon{}} {
		if _, ok := LabelPoint(g); ok {
			t.Errorf("LabelPoint(%T) = ok", g)
		}
	}
}
