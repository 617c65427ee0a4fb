package geo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func ccw() orb.Ring { return orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}} }
func cw() orb.Ring  { return orb.Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}} }

func TestValidate(t *testing.T) {
	hole := orb.Ring{{0.2, 0.2}, {0.2, 0.8}, {0.8, 0.8}, {0.8, 0.2}, {0.2, 0.2}}
	tests := []struct {
		name string
		g    orb.Geometry
		want string // "" = valid
	}{
		{"point", orb.Point{44.5, 40.2}, ""},
		{"polygon ccw", orb.Polygon{ccw()}, ""},
		{"polygon with cw hole", orb.Polygon{ccw(), hole}, ""},
		{"multipolygon", orb.MultiPolygon{{ccw()}}, ""},
		{"line", orb.LineString{{0, 0}, {1, 1}}, ""},
		{"nil", nil, "no geometry"},
		{"lon out of range", orb.Point{181, 0}, "outside lon"},
		{"lat out of range", orb.Point{0, -90.5}, "outside lon"},
		{"NaN", orb.Point{math.NaN(), 0}, "not a finite number"},
		{"Inf", orb.Point{0, math.Inf(1)}, "not a finite number"},
		{"unclosed ring", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "not closed"},
		{"short ring", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "needs at least 4"},
		{"clockwise exterior", orb.Polygon{cw()}, "wound the wrong way"},
		{"ccw hole", orb.Polygon{ccw(), {{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.8}, {0.2, 0.2}}}, "hole 1 is wound"},
		{"bow tie", orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, "invalid geometry"},
		{"one-point line", orb.LineString{{0, 0}}, "fewer than 2"},
		{"empty polygon", orb.Polygon{}, "without rings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.g)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestValidateTooManyVertices(t *testing.T) {
	line := make(orb.LineString, MaxVertices+1)
	for i := range line {
		line[i] = orb.Point{float64(i%360) - 180, 0}
	}
	if err := Validate(line); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Validate = %v, want a vertex limit error", err)
	}
}

func TestRewind(t *testing.T) {
	in := orb.Polygon{cw(), {{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.8}, {0.2, 0.2}}}
	before := in.Clone()
	out := Rewind(in).(orb.Polygon)
	if err := Validate(out); err != nil {
		t.Fatalf("rewound polygon invalid: %v", err)
	}
	if !in.Equal(before) {
		t.Error("Rewind modified its input")
	}
	mp := Rewind(orb.MultiPolygon{{cw()}}).(orb.MultiPolygon)
	if mp[0][0].Orientation() != orb.CCW {
		t.Error("multipolygon exterior not rewound")
	}
	if p := Rewind(orb.Point{1, 2}); p != (orb.Point{1, 2}) {
		t.Error("Rewind changed a point")
	}
}

func TestDateSpan(t *testing.T) {
	tests := []struct {
		in, start, end string
		bad            bool
	}{
		{in: "2025", start: "2025-01-01", end: "2026-01-01"},
		{in: "2025-07", start: "2025-07-01", end: "2025-08-01"},
		{in: "2024-12-25", start: "2024-12-25", end: "2024-12-26"},
		{in: "2025-13", bad: true},
		{in: "25", bad: true},
		{in: "", bad: true},
		{in: "2025-07-10T00:00:00Z", bad: true},
	}
	for _, tt := range tests {
		s, e, err := DateSpan(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("DateSpan(%q) = nil error, want one", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("DateSpan(%q): %v", tt.in, err)
			continue
		}
		if got := s.Format("2006-01-02"); got != tt.start {
			t.Errorf("DateSpan(%q) start = %s, want %s", tt.in, got, tt.start)
		}
		if got := e.Format("2006-01-02"); got != tt.end {
			t.Errorf("DateSpan(%q) end = %s, want %s", tt.in, got, tt.end)
		}
	}
}
