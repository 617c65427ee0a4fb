package geo

import (
	"math"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Region is a union of areas in lon/lat, e.g. the countries a feature names.
type Region []orb.MultiPolygon

// RegionOf returns the polygons of g as a region part; other geometry types
// have no area and give nil.
func RegionOf(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	case orb.Bound:
		return orb.MultiPolygon{g.ToPolygon()}
	}
	return nil
}

// Distance returns how far p lies outside r in metres: 0 when inside (or on
// the boundary), +Inf for an empty region. Near the boundary the nearest
// point is found on a local equirectangular plane (metres per degree of
// longitude shrink with latitude), then measured on the sphere.
func (r Region) Distance(p orb.Point) float64 {
	for _, mp := range r {
		if mp.Bound().Contains(p) && planar.MultiPolygonContains(mp, p) {
			return 0
		}
	}
	k := math.Cos(p[1] * math.Pi / 180)
	local := func(q orb.Point) orb.Point { return orb.Point{(q[0] - p[0]) * k, q[1] - p[1]} }
	best := math.Inf(1)
	var nearest orb.Point
	for _, mp := range r {
		for _, poly := range mp {
			for _, ring := range poly {
				for i := 0; i+1 < len(ring); i++ {
					a, b := local(ring[i]), local(ring[i+1])
					if d := planar.DistanceFromSegmentSquared(a, b, orb.Point{}); d < best {
						best = d
						nearest = closest(a, b)
					}
				}
			}
		}
	}
	if math.IsInf(best, 1) {
		return best
	}
	return orbgeo.Distance(p, orb.Point{p[0] + nearest[0]/k, p[1] + nearest[1]})
}

// closest returns the point of segment ab nearest the origin.
func closest(a, b orb.Point) orb.Point {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return a
	}
	t := max(0, min(1, -(a[0]*dx+a[1]*dy)/l2))
	return orb.Point{a[0] + t*dx, a[1] + t*dy}
}

// Vertices calls fn with every position of g and its index path (ring or
// part, then position), in order, for messages that name a vertex. path is
// only valid during the call.
func Vertices(g orb.Geometry, fn func(path []int, p orb.Point)) {
	var visit func(g orb.Geometry, path []int)
	visit = func(g orb.Geometry, path []int) {
		switch g := g.(type) {
		case orb.Point:
			fn(path, g)
		case orb.MultiPoint:
			for i, p := range g {
				fn(append(path, i), p)
			}
		case orb.LineString:
			for i, p := range g {
				fn(append(path, i), p)
			}
		case orb.Ring:
			// The closing position repeats the first.
			for i := 0; i+1 < len(g) || (i == 0 && len(g) == 1); i++ {
				fn(append(path, i), g[i])
			}
		case orb.MultiLineString:
			for i, l := range g {
				visit(l, append(path, i))
			}
		case orb.Polygon:
			for i, r := range g {
				visit(r, append(path, i))
			}
		case orb.MultiPolygon:
			for i, p := range g {
				visit(p, append(path, i))
			}
		case orb.Collection:
			for i, c := range g {
				visit(c, append(path, i))
			}
		}
	}
	visit(g, nil)
}
