package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"github.com/citemap/citemap/layers"
)

var hostile = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnl\nret\r",
	"\b\f\x00\x01\x1f\x7f", "Գյումրի · Gümrü", "line\u2028para\u2029", "bad \xff\xfe utf8", "\xe2\x80",
	"emoji 🗺️", "a\x00b",
}

var floats = []float64{
	0, math.Copysign(0, -1), 1, -1, 44.123456, -179.999999, 1e-6, 1e-7, 9.99999e-7, 1.5e-9,
	1e20, 1e21, 1.2345e22, -1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1 + 0.2,
}

func TestGeoJSONGeometryMatchesOrb(t *testing.T) {
	p := func(i int) orb.Point { return orb.Point{floats[i%len(floats)], floats[(i+7)%len(floats)]} }
	ring := orb.Ring{p(0), p(1), p(2), p(0)}
	cases := map[string]orb.Geometry{
		"point":              p(3),
		"multipoint":         orb.MultiPoint{p(1), p(5), p(9)},
		"multipoint nil":     orb.MultiPoint(nil),
		"multipoint empty":   orb.MultiPoint{},
		"line":               orb.LineString{p(4), p(8), p(12), p(16)},
		"line nil":           orb.LineString(nil),
		"multiline":          orb.MultiLineString{{p(1), p(2)}, nil, {}, {p(3), p(4), p(5)}},
		"multiline nil":      orb.MultiLineString(nil),
		"polygon":            orb.Polygon{ring, orb.Ring{p(6), p(7), p(10), p(6)}},
		"polygon nil ring":   orb.Polygon{nil},
		"polygon nil":        orb.Polygon(nil),
		"polygon empty":      orb.Polygon{},
		"multipolygon":       orb.MultiPolygon{{ring}, nil, {}, {ring, ring}},
		"multipolygon nil":   orb.MultiPolygon(nil),
		"multipolygon empty": orb.MultiPolygon{},
		"ring":               ring,
		"bound":              orb.Bound{Min: p(1), Max: p(2)},
		"collection":         orb.Collection{p(1), orb.LineString{p(2), p(3)}},
		"nil":                nil,
	}
	for name, g := range cases {
		want, werr := geojson.NewGeometry(g).MarshalJSON()
		got, gerr := appendGeoJSONGeometry([]byte("prefix"), g)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s: error %v, encoding/json %v", name, gerr, werr)
			continue
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%s:\n got %s\nwant prefix%s", name, got, want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendGeoJSONGeometry(nil, orb.Polygon{{{1, 2}, {bad, 0}, {1, 2}}}); err == nil {
			t.Errorf("%v: no error", bad)
		}
		if _, err := appendJSONValue(nil, bad); err == nil {
			t.Errorf("property %v: no error", bad)
		}
	}
}

func TestJSONObjectMatchesMarshal(t *testing.T) {
	m := map[string]any{}
	for i, s := range hostile {
		m[s] = hostile[(i+1)%len(hostile)]
	}
	for i, f := range floats {
		m["f"+string(rune('a'+i))] = f
	}
	m["int"], m["int64"], m["neg"] = 42, int64(-1<<62), -7
	m["true"], m["false"], m["null"] = true, false, nil
	m["nested"] = map[string]any{"z": 1.5, "a": []any{"x", 2.0, nil, map[string]any{"<": ">"}}, "empty": map[string]any{}}
	m["list"] = []any{}
	m["nil list"] = []any(nil)
	m["nil map"] = map[string]any(nil)
	m["number"] = json.Number("12.50")
	m["strings"] = []string{"a", "<b>"}
	m["struct"] = struct {
		A int `json:"a"`
	}{3}
	for name, v := range map[string]map[string]any{"all": m, "empty": {}, "nil": nil} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSONObject(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// The body as it was encoded by reflection: the reference the stored bytes
// must keep matching.
func reflectedBody(f layers.Feature, sourceOf func(string) string) []byte {
	ps := map[string]string{}
	for _, c := range f.Claims {
		ps[c.Passage] = sourceOf(c.Passage)
	}
	gf := f.Flat(ps)
	props, _ := json.Marshal(gf.Properties)
	geom, _ := geojson.NewGeometry(f.Geometry).MarshalJSON()
	g, _ := wkb.Marshal(f.Geometry, binary.LittleEndian)
	from, _ := f.Properties["valid_from"].(string)
	to, _ := f.Properties["valid_to"].(string)
	passages, _ := gf.Properties["passage_ids"].(string)
	b := []byte{tagLive}
	b = putBound(b, f.Geometry.Bound())
	for _, part := range [][]byte{[]byte(from), []byte(to), geom, props, []byte(passages)} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return append(b, g...)
}

func reflectedRecord(f layers.Feature) []byte {
	cj, _ := json.Marshal(normalClaims(f.Claims))
	props := f.Properties
	if props == nil {
		props = map[string]any{}
	}
	pj, _ := json.Marshal(props)
	g, _ := wkb.Marshal(f.Geometry, binary.LittleEndian)
	b := []byte{tagLive}
	b = binary.AppendUvarint(b, uint64(len(cj)))
	b = append(b, cj...)
	b = binary.AppendUvarint(b, uint64(len(pj)))
	b = append(b, pj...)
	return append(b, g...)
}

func TestRecordsMatchReflection(t *testing.T) {
	sourceOf := func(p string) string { return "src-" + p[:1] }
	feats := []layers.Feature{
		{ID: "a", Geometry: orb.Point{44.5, 40.1}},
		{ID: "b", Geometry: orb.Polygon{{{0, 0}, {1e-7, 0}, {1, 1}, {0, 0}}}, Properties: map[string]any{
			"name": "Gyumri <102nd>", "valid_from": "2020-01-01", "valid_to": "", "n": 3.0, "tags": []any{"a", "b"},
			"meta": map[string]any{"k": "v & w"}, "flag": true, "none": nil,
		}, Claims: []layers.Claim{{Passage: "p2", Aspect: "location", Relation: "supports", Basis: layers.Explicit},
			{Passage: "p1", Aspect: "existence", Relation: "supports", Basis: layers.Inferred, Note: "from the map"}}},
		{ID: "c", Geometry: orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, Properties: map[string]any{"country": "Armenia;Iran"}},
	}
	for _, f := range feats {
		body, err := encodeBody(f, sourceOf)
		if err != nil {
			t.Fatal(err)
		}
		if want := reflectedBody(f, sourceOf); !bytes.Equal(body, want) {
			t.Errorf("%s body:\n got %q\nwant %q", f.ID, body, want)
		}
		rec, err := encodeFeature(f)
		if err != nil {
			t.Fatal(err)
		}
		if want := reflectedRecord(f); !bytes.Equal(rec, want) {
			t.Errorf("%s record:\n got %q\nwant %q", f.ID, rec, want)
		}
	}
}

func FuzzJSONEncoding(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+3)%len(hostile)], floats[i%len(floats)], floats[(i+5)%len(floats)], int64(i))
	}
	f.Fuzz(func(t *testing.T, k, v string, x, y float64, n int64) {
		m := map[string]any{k: v, v: x, "n": n, "list": []any{y, k, map[string]any{v: k}}}
		want, werr := json.Marshal(m)
		got, gerr := appendJSONObject(nil, m)
		if (werr != nil) != (gerr != nil) || (werr == nil && !bytes.Equal(got, want)) {
			t.Fatalf("properties:\n got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
		}
		for _, g := range []orb.Geometry{orb.Point{x, y}, orb.LineString{{x, y}, {y, x}}, orb.MultiPolygon{{{{x, y}, {y, x}, {x, x}, {x, y}}}}} {
			want, werr := geojson.NewGeometry(g).MarshalJSON()
			got, gerr := appendGeoJSONGeometry(nil, g)
			if (werr != nil) != (gerr != nil) || (werr == nil && !bytes.Equal(got, want)) {
				t.Fatalf("geometry:\n got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
			}
		}
	})
}
