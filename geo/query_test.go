package geo

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		in   string
		want []orb.Bound
		err  string
	}{
		{in: "43,40,45,41", want: []orb.Bound{{Min: orb.Point{43, 40}, Max: orb.Point{45, 41}}}},
		{in: " 43 , 40 ,45,41", want: []orb.Bound{{Min: orb.Point{43, 40}, Max: orb.Point{45, 41}}}},
		{in: "43,40,-10,45,41,100", want: []orb.Bound{{Min: orb.Point{43, 40}, Max: orb.Point{45, 41}}}},
		{in: "-200,-95,200,95", want: []orb.Bound{{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}},
		{in: "170,0,-170,10", want: []orb.Bound{
			{Min: orb.Point{170, 0}, Max: orb.Point{180, 10}},
			{Min: orb.Point{-180, 0}, Max: orb.Point{-170, 10}},
		}},
		{in: "1,2,3", err: "needs 4 numbers"},
		{in: "1,2,3,4,5", err: "needs 4 numbers"},
		{in: "", err: "needs 4 numbers"},
		{in: "1,2,x,4", err: "not a finite number"},
		{in: "1,NaN,3,4", err: "not a finite number"},
		{in: "1,Inf,3,4", err: "not a finite number"},
		{in: "0,10,1,5", err: "minLat 10 is greater than maxLat 5"},
	}
	for _, tt := range tests {
		got, err := ParseBBox(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseBBox(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("ParseBBox(%q) = %v, %v", tt.in, got, err)
			continue
		}
		for i := range got {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("ParseBBox(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestIntersects(t *testing.T) {
	// An L-shaped polygon: its bound covers the box (2,2)-(3,3), its shape does not.
	l := orb.Polygon{{{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 4}, {0, 4}, {0, 0}}}
	tests := []struct {
		name string
		g    orb.Geometry
		b    orb.Bound
		want bool
	}{
		{"point inside", orb.Point{1, 1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, true},
		{"point outside", orb.Point{3, 3}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, false},
		{"polygon overlaps", l, orb.Bound{Min: orb.Point{0.5, 0.5}, Max: orb.Point{2, 2}}, true},
		{"in the L's notch", l, orb.Bound{Min: orb.Point{2, 2}, Max: orb.Point{3, 3}}, false},
		{"line crosses", orb.LineString{{-1, 5}, {5, -1}}, orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{3, 3}}, true},
		{"line misses", orb.LineString{{-1, 10}, {10, 9}}, orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{3, 3}}, false},
	}
	for _, tt := range tests {
		if got := Intersects(tt.g, tt.g.Bound(), tt.b); got != tt.want {
			t.Errorf("%s: Intersects = %v, want %v", tt.name, got, tt.want)
		}
	}
	if l[0][1] != (orb.Point{4, 0}) {
		t.Error("Intersects modified its input")
	}
}

func TestParseDatetime(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		in         string
		start, end time.Time
		err        string
	}{
		{in: "2025-07-10T12:00:00Z", start: day("2025-07-10").Add(12 * time.Hour), end: day("2025-07-10").Add(12 * time.Hour)},
		{in: "2025-07-10", start: day("2025-07-10"), end: day("2025-07-11").Add(-time.Nanosecond)},
		{in: "2025-01-01/2025-12-31", start: day("2025-01-01"), end: day("2026-01-01").Add(-time.Nanosecond)},
		{in: "../2025-01-01", end: day("2025-01-02").Add(-time.Nanosecond)},
		{in: "2025-01-01/..", start: day("2025-01-01")},
		{in: "2025-01-01/", start: day("2025-01-01")},
		{in: "/2025-01-01", end: day("2025-01-02").Add(-time.Nanosecond)},
		{in: "0000-01-01T00:00:00Z/9999-12-31T00:00:00Z"},
		{in: "../.."},
		{in: "", err: "datetime must be"},
		{in: "yesterday", err: "datetime must be"},
		{in: "..", err: "datetime must be"},
		{in: "2025-13-01", err: "datetime must be"},
		{in: "2025-07-10/2025-01-01", err: "ends before it starts"},
		{in: "2025-01-01/x", err: "end"},
	}
	for _, tt := range tests {
		got, err := ParseDatetime(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDatetime(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Start.Equal(tt.start) || !got.End.Equal(tt.end) {
			t.Errorf("ParseDatetime(%q) = %v, %v; want %v..%v", tt.in, got, err, tt.start, tt.end)
		}
	}
}

func TestIntervalOverlaps(t *testing.T) {
	fi := func(from, to string) Interval {
		iv, err := FeatureInterval(from, to)
		if err != nil {
			t.Fatalf("FeatureInterval(%q, %q): %v", from, to, err)
		}
		return iv
	}
	q := func(s string) Interval {
		iv, err := ParseDatetime(s)
		if err != nil {
			t.Fatalf("ParseDatetime(%q): %v", s, err)
		}
		return iv
	}
	tests := []struct {
		name     string
		a, b     Interval
		overlaps bool
	}{
		{"peacekeepers in 2022", fi("2020-11", "2024"), q("2022-06-01"), true},
		{"peacekeepers in 2025", fi("2020-11", "2024"), q("2025-01-01"), false},
		{"last day of their span", fi("2020-11", "2024"), q("2024-12-31"), true},
		{"open feature", fi("", ""), q("1900-01-01"), true},
		{"before it began", fi("1995", ""), q("1990-01-01/1994-12-31"), false},
	}
	for _, tt := range tests {
		if got := tt.a.Overlaps(tt.b); got != tt.overlaps {
			t.Errorf("%s: Overlaps = %v", tt.name, got)
		}
	}
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"43,40,45,41", "1,2,3", "170,0,-170,10", "1e308,-1e308,NaN,4", "0,0,0,0,0,0",
		"-9223372036854775809,-1e309,9223372036854775808,1e309", "1e-324,-0,0x1p-2,+Inf", "9223372036854775807,-90,-9223372036854775808,90"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := ParseBBox(s)
		if err != nil {
			return
		}
		for _, b := range bs {
			if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
				t.Fatalf("ParseBBox(%q) gave %v", s, b)
			}
		}
	})
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2025-07-10", "../2025", "2025-01-01/..", "0000-01-01T00:00:00Z/9999-12-31T00:00:00Z", "/",
		"9223372036854775807-01-01", "-9223372036854775808-12-31T23:59:59Z/..", "99999-99-99T99:99:99+99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseDatetime(s)
		if err != nil {
			return
		}
		if !iv.Start.IsZero() && !iv.End.IsZero() && iv.End.Before(iv.Start) {
			t.Fatalf("ParseDatetime(%q) = %v: ends before it starts", s, iv)
		}
	})
}

func TestView(t *testing.T) {
	v, err := ParseView("6/40.5/45")
	if err != nil {
		t.Fatal(err)
	}
	b := v.Bound(512, 512)
	// At zoom 6 a 512-pixel map spans 360/64 degrees of longitude.
	if w := b.Max[0] - b.Min[0]; w < 5.62 || w > 5.63 {
		t.Errorf("width %g degrees", w)
	}
	if c := b.Center(); c[0] < 44.99 || c[0] > 45.01 {
		t.Errorf("centre %v", c)
	}
	for _, bad := range []string{"6/40", "a/1/2", "30/1/2", "6/89/0", "6/0/200", "6/NaN/0"} {
		if _, err := ParseView(bad); err == nil {
			t.Errorf("ParseView(%q) accepted", bad)
		}
	}
}
