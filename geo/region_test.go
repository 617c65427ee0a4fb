package geo

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestRegionDistance(t *testing.T) {
	// A 1°×1° square at 40–41°N and a second one to its east, apart.
	west := orb.MultiPolygon{{{{44, 40}, {45, 40}, {45, 41}, {44, 41}, {44, 40}}}}
	east := orb.MultiPolygon{{{{46, 40}, {47, 40}, {47, 41}, {46, 41}, {46, 40}}}}
	r := NewRegion(west, east)
	// One degree of latitude is about 111.2 km; of longitude at 40.5°N about 84.6 km.
	tests := []struct {
		name string
		p    orb.Point
		min  float64
		max  float64
	}{
		{"inside the first", orb.Point{44.5, 40.5}, 0, 0},
		{"inside the second", orb.Point{46.5, 40.5}, 0, 0},
		{"on the boundary", orb.Point{45, 40.5}, 0, 0},
		{"300 m north", orb.Point{44.5, 41 + 300.0/111195}, 290, 310},
		{"2 km south", orb.Point{44.5, 40 - 2000.0/111195}, 1980, 2020},
		{"between the two, nearer the east", orb.Point{45.9, 40.5}, 0.1 * 84600 * 0.97, 0.1 * 84600 * 1.03},
		{"off a corner", orb.Point{43.99, 39.99}, 1000, 1600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Distance(tt.p)
			if d < tt.min || d > tt.max {
				t.Errorf("Distance(%v) = %.0f m, want %.0f–%.0f", tt.p, d, tt.min, tt.max)
			}
		})
	}
	if d := NewRegion().Distance(orb.Point{0, 0}); !math.IsInf(d, 1) {
		t.Errorf("empty region: %v, want +Inf", d)
	}
}

// The indexed answers agree with orb/planar's containment and with a
// distance over every segment, on a ring with a hole and many vertices.
func TestRegionAgreesWithBruteForce(t *testing.T) {
	var outer, hole orb.Ring
	for i := 0; i <= 360; i++ {
		a := float64(i) * math.Pi / 180
		rad := 1 + 0.3*math.Sin(7*a) // a wavy outline
		outer = append(outer, orb.Point{45 + rad*math.Cos(a), 40 + rad*math.Sin(a)})
		hole = append(hole, orb.Point{45 + 0.2*math.Cos(-a), 40 + 0.2*math.Sin(-a)})
	}
	mp := orb.MultiPolygon{{outer, hole}}
	r := NewRegion(mp)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1000; n++ {
		p := orb.Point{43.5 + 3*rng.Float64(), 38.5 + 3*rng.Float64()}
		if got, want := r.Contains(p), planar.MultiPolygonContains(mp, p); got != want {
			t.Fatalf("Contains(%v) = %v, planar says %v", p, got, want)
		}
		d := r.Distance(p)
		brute := math.Inf(1)
		for _, ring := range mp[0] {
			for i := 0; i+1 < len(ring); i++ {
				brute = min(brute, nearest(p, []segment{{ring[i], ring[i+1]}}))
			}
		}
		if r.Contains(p) {
			brute = 0
		}
		// The nearest segment is chosen on a local plane, then measured on
		// the sphere: the two ways may pick neighbours a hair apart.
		if math.Abs(d-brute) > 1e-3*brute {
			t.Fatalf("Distance(%v) = %v, brute force %v", p, d, brute)
		}
		for _, tol := range []float64{500, 20000} {
			if got, want := r.Within(p, tol), brute <= tol; got != want && math.Abs(brute-tol) > 1 {
				t.Fatalf("Within(%v, %v) = %v, distance %v", p, tol, got, brute)
			}
		}
	}
}

func TestVertices(t *testing.T) {
	g := orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}
	var got [][]int
	Vertices(g, func(path []int, p orb.Point) { got = append(got, append([]int(nil), path...)) })
	want := [][]int{{0, 0, 0}, {0, 0, 1}, {0, 0, 2}} // the closing position is not repeated
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	got = nil
	Vertices(orb.Point{1, 2}, func(path []int, p orb.Point) { got = append(got, append([]int(nil), path...)) })
	if len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("a point: %v, want one empty path", got)
	}
}
