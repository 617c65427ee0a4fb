package tiles

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

type stringer struct{ s string }

func (s stringer) String() string { return "S:" + s.s }

func layerOf(name string, fs ...*geojson.Feature) *mvt.Layer {
	fc := geojson.NewFeatureCollection()
	for _, f := range fs {
		fc.Append(f)
	}
	return mvt.NewLayer(name, fc)
}

func feature(g orb.Geometry, id any, props geojson.Properties) *geojson.Feature {
	f := geojson.NewFeature(g)
	f.ID = id
	f.Properties = props
	return f
}

// sameAsOrb checks marshal writes what mvt.Marshal writes, to the byte, and
// that the tile decodes.
func sameAsOrb(t *testing.T, ls mvt.Layers) {
	t.Helper()
	want, werr := mvt.Marshal(ls)
	got, gerr := marshal(ls)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("error: orb %v, marshal %v", werr, gerr)
	}
	if werr != nil {
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("marshal wrote %d bytes, orb %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if len(got) == 0 {
		return
	}
	if _, err := mvt.Unmarshal(got); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestMarshalMatchesOrb(t *testing.T) {
	sq := orb.Ring{{0, 0}, {100, 0}, {100, 100}, {0, 100}, {0, 0}}
	hole := orb.Ring{{10, 10}, {10, 20}, {20, 20}, {10, 10}}
	long := strings.Repeat("Nagorno-Karabakh ", 20) // a value over 127 bytes
	var many []*geojson.Feature                     // over 127 keys and values: two-byte indexes
	for i := range 300 {
		many = append(many, feature(orb.Point{float64(i), float64(-i)}, fmt.Sprint("f", i),
			geojson.Properties{fmt.Sprint("k", i%150): fmt.Sprint("v", i), "n": float64(i)}))
	}
	cases := []struct {
		name string
		ls   mvt.Layers
	}{
		{"empty", nil},
		{"empty layer", mvt.Layers{layerOf("a")}},
		{"geometries", mvt.Layers{layerOf("a",
			feature(orb.Point{5, 7}, "f1", geojson.Properties{"name": "Gyumri"}),
			feature(orb.MultiPoint{{1, 2}, {-3, 4}, {4096, 4096}}, nil, nil),
			feature(orb.LineString{{0, 0}, {10, -10}, {-64, 4160}}, "1", geojson.Properties{"id": "1"}),
			feature(orb.MultiLineString{{{0, 0}, {1, 1}}, {{5, 5}, {6, 9}, {7, 7}}}, 7, nil),
			feature(orb.Polygon{sq, hole}, -3, geojson.Properties{"a": 1.5}),
			feature(orb.MultiPolygon{{sq}, {hole}}, 2.0, nil),
			feature(orb.Ring{{0, 0}, {5, 0}, {5, 5}}, uint8(9), nil), // not closed
			feature(orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}, int64(12), nil),
			feature(orb.Collection{orb.Point{1, 1}, orb.Point{2, 2}}, "+4", nil),
			feature(nil, "skipped", geojson.Properties{"x": "y"}),
		)}},
		{"values", mvt.Layers{layerOf("values",
			feature(orb.Point{1, 1}, "a", geojson.Properties{
				"s": "1", "f": 1.0, "i": 1, "b": true, "nil": nil, "arr": []any{"x", 1.0}, "obj": map[string]any{"k": "v"},
				"i64": int64(-5), "u8": uint8(200), "f32": float32(0.5), "str": stringer{"x"}, "long": long,
				"nan": math.NaN(), "neg": -1e300, "f2": false,
			}),
			feature(orb.Point{2, 2}, "b", geojson.Properties{
				// The same values again, and ones equal only as text.
				"s": "1", "f": 1.0, "i": 1, "b": true, "nil": nil, "arr": []any{"x", 1.0}, "json": `["x",1]`, "null": "null",
				"i64": int64(-5), "u8": uint8(200), "f32": float32(0.5), "str": stringer{"x"}, "long": long,
				"nan": math.NaN(), "f2": false, "t2": true,
			}),
		)}},
		{"unencodable value", mvt.Layers{layerOf("bad",
			feature(orb.Point{1, 1}, "a", geojson.Properties{"ch": make(chan int)}))}},
		{"many keys and values", mvt.Layers{layerOf("many", many...)}},
		{"two layers", mvt.Layers{
			layerOf("first", feature(orb.Point{1, 1}, "a", geojson.Properties{"name": "A"})),
			layerOf("second", feature(orb.Point{2, 2}, "b", geojson.Properties{"name": "A", "_grid": 3})),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { sameAsOrb(t, c.ls) })
	}
}

// TestMarshalRandomTiles compares marshal with orb on random tiles of the
// kinds a layer's tiles hold.
func TestMarshalRandomTiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	coord := func() float64 { return math.Floor(r.Float64()*4224) - 64 }
	names := []string{"Gyumri", "Zangezur", "Abkhazia", "", "1"}
	for range 50 {
		fc := geojson.NewFeatureCollection()
		for j := range 1 + r.IntN(200) {
			var g orb.Geometry
			switch r.IntN(4) {
			case 0:
				g = orb.Point{coord(), coord()}
			case 1:
				ls := orb.LineString{}
				for range 2 + r.IntN(10) {
					ls = append(ls, orb.Point{coord(), coord()})
				}
				g = ls
			default:
				ring := orb.Ring{}
				for range 3 + r.IntN(12) {
					ring = append(ring, orb.Point{coord(), coord()})
				}
				g = orb.Polygon{append(ring, ring[0])}
			}
			props := geojson.Properties{"id": fmt.Sprint("f", j), "layer": "synthetic",
				"name": names[r.IntN(len(names))], "_from": r.IntN(3) * 20000101, "_to": 99991231}
			if r.IntN(2) == 0 {
				props["source_count"] = float64(r.IntN(4))
			}
			if r.IntN(5) == 0 {
				props["_label"] = true
			}
			fc.Append(feature(g, props["id"], props))
		}
		sameAsOrb(t, mvt.NewLayers(map[string]*geojson.FeatureCollection{"synthetic": fc}))
	}
}

// FuzzMarshal compares marshal with orb for properties and coordinates
// from the fuzzer.
func FuzzMarshal(f *testing.F) {
	f.Add("name", "Gyumri", 1.5, 3, true, 10.0, -20.0, "f1")
	f.Add("", "", math.Inf(1), -1, false, 4096.0, 1e12, "17")
	f.Fuzz(func(t *testing.T, k, s string, x float64, i int, b bool, px, py float64, id string) {
		props := geojson.Properties{k: s, k + "n": x, k + "i": i, k + "b": b, "s": s, "x": x}
		ls := mvt.Layers{layerOf(k,
			feature(orb.Point{px, py}, id, props),
			feature(orb.LineString{{px, py}, {py, px}}, id, geojson.Properties{s: k, "x": x}),
		)}
		sameAsOrb(t, ls)
	})
}
