package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// LabelPoint returns a point well inside the largest polygon of an area:
// the grid point farthest from its edges, refined over three rounds (the
// same search the web map ran on whole GeoJSON). ok is false for anything
// but a non-empty (Multi)Polygon.
func LabelPoint(g orb.Geometry) (orb.Point, bool) {
	best := largestPolygon(g)
	if best == nil {
		return orb.Point{}, false
	}
	b := best.Bound()
	cand := b.Center()
	candD := -1.0
	if planar.PolygonContains(best, cand) {
		candD = edgeDistance(best, cand, -1)
	}
	c, w, h := cand, b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	const n = 12
	for round := 0; round < 3; round++ {
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				pt := orb.Point{c[0] - w/2 + w*float64(i)/n, c[1] - h/2 + h*float64(j)/n}
				// Measured first, and given up once an edge is nearer
				// than the best point's: most grid points lose after a
				// few edges, and only a better one pays for the inside
				// test, a pass over every edge. The point found is the
				// one testing each point whole finds.
				if d := edgeDistance(best, pt, candD); d > candD && planar.PolygonContains(best, pt) {
					cand, candD = pt, d
				}
			}
		}
		c, w, h = cand, w/4, h/4
	}
	return cand, true
}

// largestPolygon is the polygon of area g with the largest outer ring, or
// nil when g has none.
func largestPolygon(g orb.Geometry) orb.Polygon {
	var best orb.Polygon
	bestArea := -1.0
	for _, p := range RegionOf(g) {
		if len(p) == 0 {
			continue
		}
		if a := math.Abs(planar.Area(p[0])); a > bestArea {
			best, bestArea = p, a
		}
	}
	return best
}

// edgeDistance is the distance from pt to the nearest edge of p, or, as
// soon as an edge at floor or nearer turns up, that edge's: all a caller
// comparing against floor needs.
func edgeDistance(p orb.Polygon, pt orb.Point, floor float64) float64 {
	min := math.Inf(1)
	for _, r := range p {
		for i := 1; i < len(r); i++ {
			if d := planar.DistanceFromSegmentSquared(r[i-1], r[i], pt); d < min {
				if min = d; math.Sqrt(min) <= floor {
					return math.Sqrt(min)
				}
			}
		}
	}
	return math.Sqrt(min)
}
