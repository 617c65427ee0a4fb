package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sfgeom "github.com/peterstace/simplefeatures/geom"
)

// ErrInvalid is wrapped by every validation failure, so callers can tell bad
// geometry from other errors.
var ErrInvalid = errors.New("invalid geometry")

// MaxVertices bounds the size of a single geometry. It keeps one hostile
// feature from taking the server's memory; real borders at 1:10m stay far below.
const MaxVertices = 1_000_000

// Validate reports whether g is a valid RFC 7946 geometry: every coordinate a
// finite lon/lat in range, rings closed with at least four positions, exterior
// rings counter-clockwise and holes clockwise, and the geometry simple and valid
// in the OGC sense (no self-intersecting rings).
func Validate(g orb.Geometry) error {
	if g == nil {
		return fmt.Errorf("%w: no geometry", ErrInvalid)
	}
	n := 0
	if err := walk(g, func(p orb.Point) error {
		n++
		if n > MaxVertices {
			return fmt.Errorf("%w: more than %d vertices", ErrInvalid, MaxVertices)
		}
		return checkPoint(p)
	}); err != nil {
		return err
	}
	if err := checkRings(g); err != nil {
		return err
	}
	if err := checkSimple(g); err != nil {
		return err
	}
	return nil
}

func checkPoint(p orb.Point) error {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return fmt.Errorf("%w: coordinate is not a finite number", ErrInvalid)
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("%w: coordinate [%g, %g] is outside lon -180..180, lat -90..90", ErrInvalid, lon, lat)
	}
	return nil
}

func checkRings(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		for i, p := range g {
			if err := checkPolygon(p); err != nil {
				return fmt.Errorf("polygon %d: %w", i, err)
			}
		}
	case orb.Collection:
		for _, c := range g {
			if err := checkRings(c); err != nil {
				return err
			}
		}
	case orb.LineString:
		if len(g) < 2 {
			return fmt.Errorf("%w: line with fewer than 2 positions", ErrInvalid)
		}
	case orb.MultiLineString:
		for i, l := range g {
			if len(l) < 2 {
				return fmt.Errorf("%w: line %d has fewer than 2 positions", ErrInvalid, i)
			}
		}
	}
	return nil
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return fmt.Errorf("%w: polygon without rings", ErrInvalid)
	}
	for i, r := range p {
		if len(r) < 4 {
			return fmt.Errorf("%w: ring %d has %d positions, needs at least 4", ErrInvalid, i, len(r))
		}
		if !r.Closed() {
			return fmt.Errorf("%w: ring %d is not closed (first and last positions differ)", ErrInvalid, i)
		}
		want := orb.CCW
		what := "exterior ring"
		if i > 0 {
			want, what = orb.CW, fmt.Sprintf("hole %d", i)
		}
		if o := r.Orientation(); o != want {
			return fmt.Errorf("%w: %s is wound the wrong way (RFC 7946: exterior counter-clockwise, holes clockwise)", ErrInvalid, what)
		}
	}
	return nil
}

// checkSimple hands the geometry to simplefeatures, which implements the OGC
// validity rules orb lacks (self-intersection, holes outside shells).
func checkSimple(g orb.Geometry) error {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon, orb.Collection:
	default:
		return nil
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	sg, err := sfgeom.UnmarshalWKB(b, sfgeom.NoValidate{})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := sg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// walk calls fn for every position of g.
func walk(g orb.Geometry, fn func(orb.Point) error) error {
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			if err := fn(p); err != nil {
				return err
			}
		}
	case orb.LineString:
		for _, p := range g {
			if err := fn(p); err != nil {
				return err
			}
		}
	case orb.Ring:
		for _, p := range g {
			if err := fn(p); err != nil {
				return err
			}
		}
	case orb.MultiLineString:
		for _, l := range g {
			if err := walk(l, fn); err != nil {
				return err
			}
		}
	case orb.Polygon:
		for _, r := range g {
			if err := walk(r, fn); err != nil {
				return err
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if err := walk(p, fn); err != nil {
				return err
			}
		}
	case orb.Collection:
		for _, c := range g {
			if err := walk(c, fn); err != nil {
				return err
			}
		}
	case orb.Bound:
		return walk(g.ToPolygon(), fn)
	default:
		return fmt.Errorf("%w: unsupported geometry type %T", ErrInvalid, g)
	}
	return nil
}

// Rewind returns g with RFC 7946 winding: exterior rings counter-clockwise,
// holes clockwise. RFC 7946 asks parsers not to reject the other winding, so
// imports are fixed rather than refused. g itself is not modified.
func Rewind(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		return rewindPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = rewindPolygon(p)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = Rewind(c)
		}
		return out
	}
	return g
}

func rewindPolygon(p orb.Polygon) orb.Polygon {
	out := p.Clone()
	for i, r := range out {
		want := orb.CCW
		if i > 0 {
			want = orb.CW
		}
		if len(r) < 3 {
			continue // no orientation (orb panics on an empty ring); Validate refuses it
		}
		if o := r.Orientation(); o != 0 && o != want {
			r.Reverse()
		}
	}
	return out
}
