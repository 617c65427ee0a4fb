package geo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// ParseBBox parses an OGC API bbox parameter: "minLon,minLat,maxLon,maxLat"
// or the six-number form with heights (which are ignored). Coordinates are
// clamped to the lon/lat range. A box whose minLon exceeds its maxLon crosses
// the antimeridian and comes back as two boxes.
func ParseBBox(s string) ([]orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, fmt.Errorf("bbox needs 4 numbers (minLon,minLat,maxLon,maxLat) or 6, got %d", len(parts))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bbox value %d (%q) is not a finite number", i+1, p)
		}
		v[i] = f
	}
	if len(v) == 6 {
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	clampTo := func(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
	minLon, maxLon := clampTo(v[0], -180, 180), clampTo(v[2], -180, 180)
	minLat, maxLat := clampTo(v[1], -90, 90), clampTo(v[3], -90, 90)
	if minLat > maxLat {
		return nil, fmt.Errorf("bbox minLat %g is greater than maxLat %g", v[1], v[3])
	}
	if minLon > maxLon {
		return []orb.Bound{
			{Min: orb.Point{minLon, minLat}, Max: orb.Point{180, maxLat}},
			{Min: orb.Point{-180, minLat}, Max: orb.Point{maxLon, maxLat}},
		}, nil
	}
	return []orb.Bound{{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}}, nil
}

// Intersects reports whether g touches b: first by bounds, then by clipping
// g to b, so a large polygon whose box overlaps b but whose shape does not
// is left out.
func Intersects(g orb.Geometry, gb orb.Bound, b orb.Bound) bool {
	if !gb.Intersects(b) {
		return false
	}
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return true // a point's bound is the point
	}
	if b.Contains(gb.Min) && b.Contains(gb.Max) {
		return true
	}
	c := clip.Geometry(b, orb.Clone(g)) // clip modifies its input
	return c != nil && !isEmpty(c)
}

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		for _, c := range g {
			if !isEmpty(c) {
				return false
			}
		}
		return true
	}
	return false
}

// Interval is a closed time span; a zero end is open.
type Interval struct {
	Start, End time.Time // zero = open
}

// Overlaps reports whether two intervals share an instant.
func (a Interval) Overlaps(b Interval) bool {
	if !a.End.IsZero() && !b.Start.IsZero() && a.End.Before(b.Start) {
		return false
	}
	if !b.End.IsZero() && !a.Start.IsZero() && b.End.Before(a.Start) {
		return false
	}
	return true
}

var errDatetime = errors.New("datetime must be an RFC 3339 instant or date, or an interval start/end with .. or nothing for an open end")

// ParseDatetime parses an OGC API datetime parameter: an instant
// ("2025-07-10T12:00:00Z" or "2025-07-10"), or an interval "a/b" whose ends
// may be open ("..", empty, or QGIS's 0000-01-01T00:00:00Z and
// 9999-12-31T00:00:00Z sentinels).
func ParseDatetime(s string) (Interval, error) {
	if s == "" {
		return Interval{}, errDatetime
	}
	start, end, isInterval := strings.Cut(s, "/")
	if !isInterval {
		a, b, err := parseInstant(s)
		if err != nil || a.IsZero() {
			return Interval{}, fmt.Errorf("%w: %q", errDatetime, s)
		}
		return Interval{Start: a, End: b}, nil
	}
	a, _, err := parseInstant(start)
	if err != nil {
		return Interval{}, fmt.Errorf("%w: start %q", errDatetime, start)
	}
	_, b, err := parseInstant(end)
	if err != nil {
		return Interval{}, fmt.Errorf("%w: end %q", errDatetime, end)
	}
	if !a.IsZero() && !b.IsZero() && b.Before(a) {
		return Interval{}, fmt.Errorf("datetime interval %q ends before it starts", s)
	}
	return Interval{Start: a, End: b}, nil
}

// parseInstant returns the span an instant covers (a date is a whole day);
// open ends come back as zero times.
func parseInstant(s string) (time.Time, time.Time, error) {
	switch s {
	case "", "..":
		return time.Time{}, time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if t.Year() <= 0 || t.Year() >= 9999 {
			return time.Time{}, time.Time{}, nil // QGIS's open-end sentinels
		}
		return t, t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, t.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	return time.Time{}, time.Time{}, errDatetime
}

// FeatureInterval is the time span of a feature's valid_from/valid_to
// (partial ISO dates; empty = open).
func FeatureInterval(from, to string) (Interval, error) {
	var iv Interval
	if from != "" {
		s, _, err := DateSpan(from)
		if err != nil {
			return iv, err
		}
		iv.Start = s
	}
	if to != "" {
		_, e, err := DateSpan(to)
		if err != nil {
			return iv, err
		}
		iv.End = e.Add(-time.Nanosecond)
	}
	return iv, nil
}
