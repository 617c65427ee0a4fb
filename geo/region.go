package geo

import (
	"math"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// cell is the side, in degrees, of the grid a Region indexes its boundary
// segments in: small enough that a query looks at a few hundred segments of
// a 1:10m country outline, not all of them.
const cell = 0.05

// Region is a union of areas in lon/lat (e.g. the countries a feature
// names), indexed so that asking whether a point lies inside, or near, it
// costs a look at the boundary around the point, not at the whole outline.
type Region struct {
	polys []polygon
	grid  map[[2]int][]segment // boundary segments by the cells their bounds cover
}

type segment struct{ a, b orb.Point }

// polygon is one polygon of the region with its rings' segments by row of
// cells, for ray casting.
type polygon struct {
	bound orb.Bound
	rings []map[int][]segment // [0] exterior, then holes
}

// NewRegion indexes the union of parts.
func NewRegion(parts ...orb.MultiPolygon) *Region {
	r := &Region{grid: map[[2]int][]segment{}}
	for _, mp := range parts {
		for _, poly := range mp {
			if len(poly) == 0 {
				continue
			}
			ip := polygon{bound: poly.Bound()}
			for _, ring := range poly {
				rows := map[int][]segment{}
				for i := 0; i+1 < len(ring); i++ {
					s := segment{ring[i], ring[i+1]}
					y0, y1 := row(min(s.a[1], s.b[1])), row(max(s.a[1], s.b[1]))
					x0, x1 := row(min(s.a[0], s.b[0])), row(max(s.a[0], s.b[0]))
					for y := y0; y <= y1; y++ {
						rows[y] = append(rows[y], s)
						for x := x0; x <= x1; x++ {
							r.grid[[2]int{x, y}] = append(r.grid[[2]int{x, y}], s)
						}
					}
				}
				ip.rings = append(ip.rings, rows)
			}
			r.polys = append(r.polys, ip)
		}
	}
	return r
}

func row(v float64) int { return int(math.Floor(v / cell)) }

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

// Contains reports whether p lies inside r (even-odd rule per polygon: in
// its exterior ring and in none of its holes).
func (r *Region) Contains(p orb.Point) bool {
	y := row(p[1])
	for _, poly := range r.polys {
		if !poly.bound.Contains(p) || !crosses(poly.rings[0][y], p) {
			continue
		}
		inHole := false
		for _, hole := range poly.rings[1:] {
			if crosses(hole[y], p) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// crosses counts the crossings of a ray from p eastwards with segs (the
// segments of one ring in p's row) and reports whether they are odd.
func crosses(segs []segment, p orb.Point) bool {
	in := false
	for _, s := range segs {
		a, b := s.a, s.b
		if (a[1] > p[1]) == (b[1] > p[1]) {
			continue
		}
		if x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]); x > p[0] {
			in = !in
		}
	}
	return in
}

// Within reports whether p lies inside r or within metres of its boundary.
func (r *Region) Within(p orb.Point, metres float64) bool {
	if r.Contains(p) {
		return true
	}
	// Cells far enough around p that a boundary within metres crosses one.
	cellMetres := cell * orbgeo.Distance(orb.Point{0, p[1]}, orb.Point{1, p[1]})
	k := max(1, int(math.Ceil(metres/max(cellMetres, 1))))
	x0, y0 := row(p[0]), row(p[1])
	var segs []segment
	for x := x0 - k; x <= x0+k; x++ {
		for y := y0 - k; y <= y0+k; y++ {
			segs = append(segs, r.grid[[2]int{x, y}]...)
		}
	}
	return nearest(p, segs) <= metres
}

// Distance returns how far p lies outside r in metres: 0 when inside, +Inf
// for an empty region. It looks at every boundary segment: for messages.
func (r *Region) Distance(p orb.Point) float64 {
	if r.Contains(p) {
		return 0
	}
	best := math.Inf(1)
	for _, segs := range r.grid {
		best = min(best, nearest(p, segs))
	}
	return best
}

// nearest returns the distance in metres from p to the nearest of segs: the
// nearest point is found on a local equirectangular plane (a degree of
// longitude shrinks with latitude), then measured on the sphere.
func nearest(p orb.Point, segs []segment) float64 {
	k := math.Cos(p[1] * math.Pi / 180)
	local := func(q orb.Point) orb.Point { return orb.Point{(q[0] - p[0]) * k, q[1] - p[1]} }
	best := math.Inf(1)
	var near orb.Point
	for _, s := range segs {
		a, b := local(s.a), local(s.b)
		if d := planar.DistanceFromSegmentSquared(a, b, orb.Point{}); d < best {
			best = d
			near = closest(a, b)
		}
	}
	if math.IsInf(best, 1) {
		return best
	}
	return orbgeo.Distance(p, orb.Point{p[0] + near[0]/k, p[1] + near[1]})
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
