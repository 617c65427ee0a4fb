package bolt

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The records an import writes hold GeoJSON geometry and JSON properties.
// encoding/json reaches them by reflection, which was a sixth of an
// import's work; these writers produce the same bytes directly. Stored
// bodies are compared byte for byte to find what an import changed, so the
// output must stay exactly encoding/json's (jsonenc_test.go checks it).

// appendGeoJSONGeometry appends what geojson.NewGeometry(g).MarshalJSON()
// returns.
func appendGeoJSONGeometry(b []byte, g orb.Geometry) ([]byte, error) {
	switch g := g.(type) {
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b, err := appendPoint(b, g)
		return append(b, '}'), err
	case orb.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":`...)
		b, err := appendPoints(b, g)
		return append(b, '}'), err
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":`...)
		b, err := appendPoints(b, g)
		return append(b, '}'), err
	case orb.MultiLineString:
		b = append(b, `{"type":"MultiLineString","coordinates":`...)
		b, err := appendLines(b, g)
		return append(b, '}'), err
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b, err := appendRings(b, g)
		return append(b, '}'), err
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":`...)
		if g == nil {
			return append(b, "null}"...), nil
		}
		b = append(b, '[')
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendRings(b, p); err != nil {
				return b, err
			}
		}
		return append(b, "]}"...), nil
	}
	// Rings, bounds, collections and nil: rare, left to orb.
	j, err := geojson.NewGeometry(g).MarshalJSON()
	return append(b, j...), err
}

func appendPoint(b []byte, p orb.Point) ([]byte, error) {
	b = append(b, '[')
	b, err := appendFloat(b, p[0])
	if err != nil {
		return b, err
	}
	b = append(b, ',')
	b, err = appendFloat(b, p[1])
	return append(b, ']'), err
}

func appendPoints[P ~[]orb.Point](b []byte, ps P) ([]byte, error) {
	if ps == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendPoint(b, p); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendLines(b []byte, ls orb.MultiLineString) ([]byte, error) {
	if ls == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendPoints(b, l); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendRings(b []byte, p orb.Polygon) ([]byte, error) {
	if p == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendPoints(b, r); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendFloat formats f as encoding/json does: like JavaScript, 'f' but
// for very small or large magnitudes, exponents not padded.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendJSONObject appends m as json.Marshal does: keys sorted, strings
// HTML-escaped.
func appendJSONObject(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var arr [32]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSONValue(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONValue appends v as json.Marshal does. The types GeoJSON
// decoding and flat properties produce are written directly; anything else
// goes through encoding/json.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v), nil
	case float64:
		return appendFloat(b, v)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		return appendJSONObject(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as json.Marshal does (HTML-safe).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
