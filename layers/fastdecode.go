package layers

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
)

// Decoding a feature through orb's geojson package scans its coordinates
// about seven times (encoding/json validates, then decodes raw members,
// then the geometry object, then its coordinates) and was a third of an
// import's work. fastDecode handles the common case in one scan of the
// coordinates and gives up (ok false) on anything unusual: a missing or
// odd member, a bbox, an escape, an empty array, a position that is not
// two numbers. decodeFeature then takes the general path, so every result
// and every error message stays what that path gives (fastdecode_test.go
// compares the two).
func fastDecode(layer string, raw []byte) (f Feature, ok bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil {
		return f, false
	}
	if _, has := doc["bbox"]; has {
		return f, false
	}
	for k := range doc {
		// The general path reads id and type case-insensitively.
		if (k != "id" && strings.EqualFold(k, "id")) || (k != "type" && strings.EqualFold(k, "type")) {
			return f, false
		}
	}
	var typ string
	if json.Unmarshal(doc["type"], &typ) != nil || typ != "Feature" {
		return f, false
	}
	f.Layer = layer
	var id any
	if json.Unmarshal(doc["id"], &id) != nil {
		return f, false
	}
	switch id := id.(type) {
	case string:
		f.ID = id
	case float64:
		f.ID = strconv.FormatFloat(id, 'f', -1, 64)
	default:
		return f, false
	}
	g, ok := parseGeometry(doc["geometry"])
	if !ok {
		return f, false
	}
	var props map[string]any
	if p, has := doc["properties"]; has && json.Unmarshal(p, &props) != nil {
		return f, false
	}
	f.Geometry = geo.Rewind(g)
	f.Properties = make(map[string]any, len(props))
	for k, v := range props {
		if k != "claims" {
			f.Properties[k] = v
		}
	}
	if c, has := props["claims"]; has {
		cb, _ := json.Marshal(c)
		if json.Unmarshal(cb, &f.Claims) != nil {
			return f, false
		}
		for i := range f.Claims {
			f.Claims[i].Feature, f.Claims[i].Layer = f.ID, layer
		}
	}
	return f, true
}

// parseGeometry reads {"type": T, "coordinates": C} (members in either
// order, nothing else) for the six coordinate geometry types.
func parseGeometry(raw []byte) (orb.Geometry, bool) {
	p := scan{b: raw}
	if !p.byte('{') {
		return nil, false
	}
	var typ string
	var coords []byte
	for i := 0; i < 2; i++ {
		if i > 0 && !p.byte(',') {
			return nil, false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return nil, false
		}
		switch {
		case key == "type" && typ == "":
			if typ, ok = p.str(); !ok || typ == "" {
				return nil, false
			}
		case key == "coordinates" && coords == nil:
			p.ws()
			coords = p.b[p.i:]
			if !p.skipArray() {
				return nil, false
			}
			coords = coords[:len(coords)-len(p.b[p.i:])]
		default:
			return nil, false
		}
	}
	if !p.byte('}') || !p.end() {
		return nil, false
	}
	c := scan{b: coords}
	var g orb.Geometry
	var ok bool
	switch typ {
	case "Point":
		g, ok = c.point()
	case "MultiPoint":
		var ps []orb.Point
		ps, ok = c.points()
		g = orb.MultiPoint(ps)
	case "LineString":
		var ps []orb.Point
		ps, ok = c.points()
		g = orb.LineString(ps)
	case "MultiLineString":
		var ls []orb.LineString
		ls, ok = list(&c, func(c *scan) (orb.LineString, bool) { ps, ok := c.points(); return ps, ok })
		g = orb.MultiLineString(ls)
	case "Polygon":
		g, ok = c.polygon()
	case "MultiPolygon":
		var ps []orb.Polygon
		ps, ok = list(&c, (*scan).polygon)
		g = orb.MultiPolygon(ps)
	}
	return g, ok && c.end()
}

// scan reads JSON from b at i.
type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte skips white space and then c.
func (s *scan) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// str reads a string without escapes or control characters.
func (s *scan) str() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := string(s.b[start:s.i])
			s.i++
			return v, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// skipArray passes over an array of arrays and numbers (checked later).
func (s *scan) skipArray() bool {
	depth := 0
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		case '"', '{', '}':
			return false
		}
	}
	return false
}

// number reads a JSON number as encoding/json decodes it into a float64.
func (s *scan) number() (float64, bool) {
	s.ws()
	start := s.i
	i := JSONNumberEnd(s.b, start)
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(s.b[start:i]), 64)
	if err != nil {
		return 0, false
	}
	s.i = i
	return v, true
}

// point reads [x, y]: exactly two numbers.
func (s *scan) point() (orb.Point, bool) {
	var p orb.Point
	var ok bool
	if !s.byte('[') {
		return p, false
	}
	if p[0], ok = s.number(); !ok || !s.byte(',') {
		return p, false
	}
	if p[1], ok = s.number(); !ok || !s.byte(']') {
		return p, false
	}
	return p, true
}

func (s *scan) points() ([]orb.Point, bool) {
	return list(s, (*scan).point)
}

func (s *scan) polygon() (orb.Polygon, bool) {
	return list(s, func(s *scan) (orb.Ring, bool) { ps, ok := s.points(); return ps, ok })
}

// list reads a non-empty array of elements.
func list[T any](s *scan, elem func(*scan) (T, bool)) ([]T, bool) {
	if !s.byte('[') {
		return nil, false
	}
	var out []T
	for {
		e, ok := elem(s)
		if !ok {
			return nil, false
		}
		out = append(out, e)
		if s.byte(']') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}

// JSONNumberEnd returns the end of the JSON number (RFC 8259's grammar) at
// b[i], or -1 when none starts there. The import's decoder and the tiles'
// property reader both scan numbers with it.
func JSONNumberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digitsEnd(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if d := digitsEnd(b, i+1); d > i+1 {
			i = d
		} else {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := digitsEnd(b, i)
		if d == i {
			return -1
		}
		i = d
	}
	return i
}

// digitsEnd returns the end of the run of ASCII digits at b[i].
func digitsEnd(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
