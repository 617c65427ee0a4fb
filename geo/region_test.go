package geo

import (
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

func TestRegionDistance(t *testing.T) {
	// A 1°×1° square at 40–41°N and a second one to its east, apart.
	west := orb.MultiPolygon{{{{44, 40}, {45, 40}, {45, 41}, {44, 41}, {44, 40}}}}
	east := orb.MultiPolygon{{{{46, 40}, {47, 40}, {47, 41}, {46, 41}, {46, 40}}}}
	r := Region{west, east}
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
	if d := (Region{}).Distance(orb.Point{0, 0}); !math.IsInf(d, 1) {
		t.Errorf("empty region: %v, want +Inf", d)
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
