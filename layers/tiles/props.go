package tiles

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// A level record holds a feature's tile properties already typed, so a
// tile read decodes no JSON: a count, then for each property in key order
// its key and a typed value, each length behind a uvarint,
//
//	's' string   'n' number (float64, as JSON decoding gives it)
//	't' true     'f' false   'j' anything else, as JSON
//
// The values decode to what json.Unmarshal gave before, so tiles are the
// same bytes.
const (
	propString = 's'
	propNumber = 'n'
	propTrue   = 't'
	propFalse  = 'f'
	propJSON   = 'j'
)

var errProps = errors.New("corrupt properties")

// appendProps appends props, encoded, to b.
func appendProps(b []byte, props map[string]any) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(props)))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		switch v := props[k].(type) {
		case string:
			b = append(b, propString)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case float64:
			b = append(b, propNumber)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case int:
			b = append(b, propNumber)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
		case bool:
			if v {
				b = append(b, propTrue)
			} else {
				b = append(b, propFalse)
			}
		default:
			j, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("property %s: %w", k, err)
			}
			b = append(b, propJSON)
			b = binary.AppendUvarint(b, uint64(len(j)))
			b = append(b, j...)
		}
	}
	return b, nil
}

// decodeProps reads what appendProps wrote.
func decodeProps(b []byte) (map[string]any, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errProps
	}
	b = b[k:]
	props := make(map[string]any, n+2)
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	for range n {
		key, ok := str()
		if !ok || len(b) == 0 {
			return nil, errProps
		}
		tag := b[0]
		b = b[1:]
		switch tag {
		case propString:
			v, ok := str()
			if !ok {
				return nil, errProps
			}
			props[key] = v
		case propNumber:
			if len(b) < 8 {
				return nil, errProps
			}
			props[key] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		case propTrue, propFalse:
			props[key] = tag == propTrue
		case propJSON:
			j, ok := str()
			if !ok {
				return nil, errProps
			}
			var v any
			if err := json.Unmarshal([]byte(j), &v); err != nil {
				return nil, fmt.Errorf("property %s: %w", key, err)
			}
			props[key] = v
		default:
			return nil, errProps
		}
	}
	if len(b) != 0 {
		return nil, errProps
	}
	return props, nil
}
