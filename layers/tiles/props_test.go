package tiles

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The typed properties of a level record decode to what a JSON round trip
// gives, so tiles read from them are the same bytes.
func TestPropsRoundTrip(t *testing.T) {
	for _, props := range []map[string]any{
		{},
		{"name": "Gyumri", "status": "", "source_count": 3, "_from": -2147483648, "_to": 2147483647},
		{"population": 121976.0, "capital": true, "role": "city", "x": false},
		{"category": []any{"a", 1.5}, "nested": map[string]any{"k": "v"}, "unicode": "Ağrı — «Արարատ»"},
		{"small": 1e-300, "big": 1.7976931348623157e308, "neg": -0.5},
	} {
		b, err := appendProps(nil, props)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeProps(b)
		if err != nil {
			t.Fatalf("%v: %v", props, err)
		}
		j, _ := json.Marshal(props)
		var want map[string]any
		if err := json.Unmarshal(j, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoded %#v, want %#v", got, want)
		}
		// Every cut of the record is refused, never misread.
		for i := range len(b) {
			if _, err := decodeProps(b[:i]); err == nil {
				t.Errorf("%v: a record cut at %d of %d bytes decoded", props, i, len(b))
			}
		}
		if _, err := decodeProps(append(b, 0)); err == nil {
			t.Errorf("%v: a record with a trailing byte decoded", props)
		}
	}
}
