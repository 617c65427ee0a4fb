package geo

import "github.com/paulmach/orb"

// Dimension classes of geometry: a collection, download or tile layer holds
// one of them, so a GIS client can type it (QGIS types a layer from its
// first features and draws the rest with the wrong symbol).
const (
	Points      = "points" // Point, MultiPoint
	Lines       = "lines"  // LineString, MultiLineString
	Areas       = "areas"  // Polygon, MultiPolygon
	Collections = "collections"
)

// Class returns the dimension class of g: a single geometry and its Multi-
// form share one. A GeometryCollection is a class of its own.
func Class(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return Points
	case orb.LineString, orb.MultiLineString:
		return Lines
	case orb.Polygon, orb.MultiPolygon, orb.Ring, orb.Bound:
		return Areas
	}
	return Collections
}

// Dimension is the JSON-FG geometryDimension of a class: 0 for points, 1
// for curves, 2 for surfaces; -1 when it has none (collections).
func Dimension(class string) int {
	switch class {
	case Points:
		return 0
	case Lines:
		return 1
	case Areas:
		return 2
	}
	return -1
}

// TypeSet gathers the GeoJSON geometry types of a layer's features.
type TypeSet struct {
	seen [7]bool // indexed by typeIndex
}

var typeNames = [...]string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}

func typeIndex(g orb.Geometry) int {
	switch g.(type) {
	case orb.Point:
		return 0
	case orb.MultiPoint:
		return 1
	case orb.LineString:
		return 2
	case orb.MultiLineString:
		return 3
	case orb.Polygon, orb.Ring, orb.Bound:
		return 4
	case orb.MultiPolygon:
		return 5
	}
	return 6
}

// Add notes g's type.
func (s *TypeSet) Add(g orb.Geometry) { s.seen[typeIndex(g)] = true }

// Names lists the types noted, as GeoJSON names them: what a store keeps.
func (s *TypeSet) Names() []string {
	var out []string
	for i, ok := range s.seen {
		if ok {
			out = append(out, typeNames[i])
		}
	}
	return out
}

// AddName notes a type by its GeoJSON name; an unknown name is ignored.
func (s *TypeSet) AddName(name string) {
	for i, n := range typeNames {
		if n == name {
			s.seen[i] = true
		}
	}
}

// Type is the one GeoJSON type a client should give the layer: the type of
// every feature, or the Multi- form when single and Multi- forms mix (a
// client promotes the single ones). "" for an empty layer, "Geometry" when
// classes mix.
func (s *TypeSet) Type() string {
	n, last := 0, -1
	for i, ok := range s.seen {
		if ok {
			n++
			last = i
		}
	}
	switch {
	case n == 0:
		return ""
	case n == 1:
		return typeNames[last]
	case n == 2 && last < 6 && last%2 == 1 && s.seen[last-1]:
		return typeNames[last]
	}
	return "Geometry"
}

// Class is the dimension class of the layer, or "" when empty or mixed.
func (s *TypeSet) Class() string {
	switch t := s.Type(); t {
	case "", "Geometry":
		return ""
	case "Point", "MultiPoint":
		return Points
	case "LineString", "MultiLineString":
		return Lines
	case "Polygon", "MultiPolygon":
		return Areas
	}
	return Collections
}

// Has reports whether a feature of GeoJSON type t was added.
func (s *TypeSet) Has(t string) bool {
	for i, n := range typeNames {
		if n == t {
			return s.seen[i]
		}
	}
	return false
}

// Promote returns g in the Multi- form of GeoJSON type t when g is the
// single form of it, so every feature of a layer is of the layer's type.
func Promote(g orb.Geometry, t string) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		if t == "MultiPoint" {
			return orb.MultiPoint{g}
		}
	case orb.LineString:
		if t == "MultiLineString" {
			return orb.MultiLineString{g}
		}
	case orb.Polygon:
		if t == "MultiPolygon" {
			return orb.MultiPolygon{g}
		}
	}
	return g
}
