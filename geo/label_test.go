package geo

import (
	"math"
	"math/rand/v2"
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

// labelPointWhole is LabelPoint as it first was: every grid point tested
// inside and measured to every edge. The early exits must find its point.
func labelPointWhole(g orb.Geometry) (orb.Point, bool) {
	best := largestPolygon(g)
	if best == nil {
		return orb.Point{}, false
	}
	dist := func(pt orb.Point) float64 {
		min := math.Inf(1)
		for _, r := range best {
			for i := 1; i < len(r); i++ {
				min = math.Min(min, planar.DistanceFromSegmentSquared(r[i-1], r[i], pt))
			}
		}
		return math.Sqrt(min)
	}
	b := best.Bound()
	cand := b.Center()
	candD := -1.0
	if planar.PolygonContains(best, cand) {
		candD = dist(cand)
	}
	c, w, h := cand, b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	const n = 12
	for round := 0; round < 3; round++ {
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				pt := orb.Point{c[0] - w/2 + w*float64(i)/n, c[1] - h/2 + h*float64(j)/n}
				if !planar.PolygonContains(best, pt) {
					continue
				}
				if d := dist(pt); d > candD {
					cand, candD = pt, d
				}
			}
		}
		c, w, h = cand, w/4, h/4
	}
	return cand, true
}

// starPolygons are n seeded star-shaped rings of 3-200 vertices, every
// third with a hole, every fifth a multipolygon of two.
func starPolygons(n int) []orb.Geometry {
	rnd := rand.New(rand.NewPCG(1, 2))
	ring := func(cx, cy, r float64, k int) orb.Ring {
		out := make(orb.Ring, 0, k+1)
		for i := 0; i < k; i++ {
			a := 2 * math.Pi * float64(i) / float64(k)
			rr := r * (0.3 + rnd.Float64())
			out = append(out, orb.Point{cx + rr*math.Cos(a), cy + rr*math.Sin(a)})
		}
		return append(out, out[0])
	}
	var gs []orb.Geometry
	for i := 0; i < n; i++ {
		cx, cy := rnd.Float64()*40, rnd.Float64()*40
		p := orb.Polygon{ring(cx, cy, 1+rnd.Float64()*3, 3+rnd.IntN(198))}
		if i%3 == 0 {
			// A hole around the centre, counter to the outer ring.
			h := ring(cx, cy, 0.2, 8)
			h.Reverse()
			p = append(p, h)
		}
		if i%5 == 0 {
			gs = append(gs, orb.MultiPolygon{p, {ring(cx+10, cy, 0.5, 12)}})
		} else {
			gs = append(gs, p)
		}
	}
	return gs
}

func TestLabelPointAsWhole(t *testing.T) {
	for i, g := range starPolygons(500) {
		got, ok := LabelPoint(g)
		want, wok := labelPointWhole(g)
		if got != want || ok != wok {
			t.Fatalf("polygon %d: LabelPoint = %v %v, the whole search %v %v", i, got, ok, want, wok)
		}
	}
}

func BenchmarkLabelPoint(b *testing.B) {
	gs := starPolygons(200)
	for _, bm := range []struct {
		name string
		f    func(orb.Geometry) (orb.Point, bool)
	}{{"early-exit", LabelPoint}, {"whole", labelPointWhole}} {
		b.Run(bm.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bm.f(gs[i%len(gs)])
			}
		})
	}
}
