package query

import (
	"encoding/json"
	"testing"

	"github.com/citemap/citemap/layers"
)

// The filter decides from the compact JSON where it can; it must always
// decide as Equals does on the decoded properties.
func TestFilterMatchesAsDecoded(t *testing.T) {
	props := []map[string]any{
		{"status": "active", "name": "Gyumri"},
		{"status": "actives", "name": "active"},
		{"status": "in active service"},
		{"name": "status active", "note": `"status":"active"`},
		{"status": "Active"},
		{"population": 1000000.0, "status": "active"},
		{"population": 259998.0},
		{"open": true, "closed": false},
		{"open": "true"},
		{"open": false, "note": `"open":true`},
		{"name": "Şəki <town> & \"district\"", "x": nil},
		{"count": 2.5, "k:v": "a"},
		{},
	}
	eqs := []map[string]string{
		{"status": "active"},
		{"status": "activ"},
		{"status": "active", "name": "Gyumri"},
		{"name": "active"},
		{"population": "1000000"},
		{"population": "1e+06"},
		{"population": "259998"},
		{"open": "true"},
		{"closed": "false"},
		{"open": "false"},
		{"name": "Şəki <town> & \"district\""},
		{"name": "Şəki"},
		{"count": "2.5"},
		{"k:v": "a"},
		{"x": "<nil>"},
		{"missing": "a"},
	}
	for _, p := range props {
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, eq := range eqs {
			got, err := newFilter(layers.Query{Equals: eq}).match(layers.Body{ID: "f", Properties: raw})
			if err != nil {
				t.Fatal(err)
			}
			if want := Equals(p, eq); got != want {
				t.Errorf("%s filtered by %v: %v, decoded %v", raw, eq, got, want)
			}
		}
	}
	// Numbers compare as numbers: 1000000 is "1e+06" as text.
	if !Equals(map[string]any{"population": 1000000.0}, map[string]string{"population": "1000000"}) {
		t.Error("population=1000000 does not match 1000000")
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("status", "active", "active", byte(0))
	f.Add("open", "true", "true", byte(2))
	f.Add("open", "true", "true", byte(0))
	f.Add("n", "12", "12", byte(1))
	f.Add("name", `a"b`, `a"b`, byte(0))
	f.Fuzz(func(t *testing.T, key, value, want string, kind byte) {
		p := map[string]any{"other": value + " " + key, "name": want}
		switch kind % 3 {
		case 0:
			p[key] = value
		case 1:
			var n float64
			if json.Unmarshal([]byte(value), &n) != nil {
				return
			}
			p[key] = n
		case 2:
			p[key] = value == "true"
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return // not valid UTF-8: no feature holds it
		}
		var decoded map[string]any
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		eq := map[string]string{key: want}
		got, err := newFilter(layers.Query{Equals: eq}).match(layers.Body{ID: "f", Properties: raw})
		if err != nil {
			t.Fatal(err)
		}
		if w := Equals(decoded, eq); got != w {
			t.Errorf("%s filtered by %v: %v, decoded %v", raw, eq, got, w)
		}
	})
}
