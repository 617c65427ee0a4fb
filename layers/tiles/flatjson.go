package tiles

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/citemap/citemap/layers"
)

// unmarshalFlat decodes a JSON object as json.Unmarshal does into a
// map[string]any. Stored bodies hold flat properties (strings, numbers,
// booleans, null), which it reads in one pass; anything else (an escape, a
// nested value) goes to encoding/json, which was a tenth of an import's
// work when it read them all (flatjson_test.go compares the two).
func unmarshalFlat(b []byte) (map[string]any, error) {
	if m, ok := scanFlat(b); ok {
		return m, nil
	}
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}

func scanFlat(b []byte) (map[string]any, bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	m := map[string]any{}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, skipWS(b, i+1) == len(b)
	}
	for {
		k, j, ok := plainString(b, i)
		if !ok {
			return nil, false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return nil, false
		}
		var v any
		switch c := b[i]; {
		case c == '"':
			if v, i, ok = plainString(b, i); !ok {
				return nil, false
			}
		case c == 't' && hasAt(b, i, "true"):
			v, i = true, i+4
		case c == 'f' && hasAt(b, i, "false"):
			v, i = false, i+5
		case c == 'n' && hasAt(b, i, "null"):
			v, i = nil, i+4
		case c == '-' || (c >= '0' && c <= '9'):
			j := layers.JSONNumberEnd(b, i)
			if j < 0 {
				return nil, false
			}
			f, err := strconv.ParseFloat(string(b[i:j]), 64)
			if err != nil {
				return nil, false
			}
			v, i = f, j
		default:
			return nil, false
		}
		m[k] = v
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return m, skipWS(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// plainString reads a string at b[i] holding no escape, no control
// character and only valid UTF-8; it returns the index after it.
func plainString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			if !ascii && !utf8.Valid(s) {
				return "", 0, false
			}
			return string(s), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}
