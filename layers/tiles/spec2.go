package tiles

import (
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
)

// specVersion is the Mapbox Vector Tile specification the tiles follow.
const specVersion = 2

// toSpec2 makes the projected, clipped layers ls what version 2 of the
// vector tile specification asks of geometry (4.3.3, 4.3.4), and says so in
// each layer's version field. orb writes version 1 and leaves rings as the
// data wound them; MapLibre then warns that the tiles are not v2, and QGIS,
// which tells an area's holes from its outer rings by their winding, drops
// a polygon whose first ring winds as a hole.
//
// In the tile's integer coordinates, as the writer will encode them:
//   - no LineTo repeats the point before it;
//   - a line keeps at least two distinct points, a ring three and a non-zero
//     area, or it is dropped (an outer ring with its holes);
//   - an outer ring winds clockwise on screen (positive area by the
//     surveyor's formula, y down), a hole anticlockwise.
//
// A feature left with nothing to draw is dropped. Rings are not checked for
// self-intersection, which simplification and rounding can make.
func toSpec2(ls mvt.Layers) {
	for _, l := range ls {
		l.Version = specVersion
		kept := l.Features[:0]
		for _, f := range l.Features {
			if f.Geometry == nil {
				continue
			}
			if g := spec2Geometry(f.Geometry); g != nil {
				f.Geometry = g
				kept = append(kept, f)
			}
		}
		clear(l.Features[len(kept):])
		l.Features = kept
	}
}

// spec2Geometry returns g as toSpec2 describes, or nil when nothing of it
// is left. It works in g's slices and returns g itself when its length is
// unchanged: a new slice in an interface would cost an allocation per
// feature.
func spec2Geometry(g orb.Geometry) orb.Geometry {
	switch v := g.(type) {
	case orb.Point, orb.MultiPoint:
		return g
	case orb.LineString:
		return same(g, len(v), spec2Line(v))
	case orb.MultiLineString:
		return same(g, len(v), keptParts(v, spec2Line))
	case orb.Ring:
		return same(g, len(v), spec2Ring(v, true))
	case orb.Polygon:
		return same(g, len(v), spec2Polygon(v))
	case orb.MultiPolygon:
		return same(g, len(v), keptParts(v, spec2Polygon))
	case orb.Collection:
		// The writer encodes a collection's first member only.
		if len(v) > 0 {
			if m := spec2Geometry(v[0]); m != nil {
				v[0] = m
				return g
			}
		}
		return nil
	}
	return g // the writer reports what it cannot encode
}

// same returns nil for an empty s, g when s is g's slice at its old length
// n (s shares g's array), else s.
func same[S interface {
	~[]E
	orb.Geometry
}, E any](g orb.Geometry, n int, s S) orb.Geometry {
	switch {
	case len(s) == 0:
		return nil
	case len(s) == n:
		return g
	}
	return s
}

// keptParts applies f to each part of parts, in parts' array, and keeps
// those it leaves non-empty.
func keptParts[S ~[]P, P ~[]Q, Q any](parts S, f func(P) P) S {
	kept := parts[:0]
	for _, p := range parts {
		if p = f(p); len(p) > 0 {
			kept = append(kept, p)
		}
	}
	return kept
}

// quantize is the integer point the tile writer encodes p as.
func quantize(p orb.Point) orb.Point {
	return orb.Point{float64(int32(p[0])), float64(int32(p[1]))}
}

// dedupe quantizes ps in place and drops each point equal to the one
// before it.
func dedupe(ps []orb.Point) []orb.Point {
	kept := ps[:0]
	for _, p := range ps {
		p = quantize(p)
		if len(kept) > 0 && kept[len(kept)-1] == p {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

func spec2Line(ls orb.LineString) orb.LineString {
	ls = dedupe(ls)
	if len(ls) < 2 {
		return nil
	}
	return ls
}

func spec2Polygon(p orb.Polygon) orb.Polygon {
	if len(p) == 0 {
		return nil
	}
	outer := spec2Ring(p[0], true)
	if outer == nil {
		return nil
	}
	kept := append(p[:0], outer)
	for _, r := range p[1:] {
		if r = spec2Ring(r, false); r != nil {
			kept = append(kept, r)
		}
	}
	return kept
}

// spec2Ring returns r quantized, without repeated points, closed, wound as
// an outer ring or a hole; nil if it has no area left.
func spec2Ring(r orb.Ring, outer bool) orb.Ring {
	r = orb.Ring(dedupe(r))
	if len(r) > 1 && r[0] == r[len(r)-1] {
		r = r[:len(r)-1]
	}
	if len(r) < 3 {
		return nil
	}
	// orb's orientation is the plane's, y up: its CCW is clockwise on
	// screen, a positive area by the spec's surveyor's formula (4.3.4.4).
	o := r.Orientation()
	if o == 0 {
		return nil
	}
	if (o == orb.CCW) != outer {
		slices.Reverse(r[1:]) // the ring still starts where it did
	}
	return append(r, r[0])
}
