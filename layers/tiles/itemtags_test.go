package tiles

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/citemap/citemap/layers"
)

// encodeItemsWithOrb is how tiles of stored layers were written before the
// tile writer: geojson features with property maps, through mvt.Marshal.
// encodeItems must give the same bytes.
func encodeItemsWithOrb(t maptile.Tile, l layers.Layer, items []item, generalized bool) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	tb := t.Bound()
	for _, it := range items {
		f := geojson.NewFeature(orb.Clone(it.geom))
		f.ID = it.id
		props, err := it.properties()
		if err != nil {
			return nil, err
		}
		f.Properties = props.Clone()
		if f.Properties == nil {
			f.Properties = geojson.Properties{}
		}
		f.Properties["id"], f.Properties["layer"] = it.id, l.ID
		if l.Kind != layers.KindBasemap && it.label != nil && int(t.Z) >= labelMinZoom &&
			(it.bound.Max[0]-it.bound.Min[0])/pixelDeg(int(t.Z)) >= labelMinPixels && tb.Contains(*it.label) {
			lf := geojson.NewFeature(*it.label)
			lf.ID = f.ID
			lf.Properties = f.Properties.Clone()
			lf.Properties["_label"] = true
			fc.Append(lf)
		}
		fc.Append(f)
	}
	if len(fc.Features) == 0 {
		return []byte{}, nil
	}
	ls := mvt.NewLayers(map[string]*geojson.FeatureCollection{l.ID: fc})
	ls.ProjectToTile(t)
	ls.Clip(orb.Bound{Min: orb.Point{-mvt.DefaultExtent * buffer, -mvt.DefaultExtent * buffer},
		Max: orb.Point{mvt.DefaultExtent * (1 + buffer), mvt.DefaultExtent * (1 + buffer)}})
	if !generalized {
		ls.Simplify(simplify.DouglasPeucker(4))
	}
	ls.RemoveEmpty(1, 1)
	toSpec2(ls)
	return mvt.Marshal(ls)
}

// recordItems are n random features over the Caucasus as level l's records
// give them to a tile: polygons small and large (with label points), lines
// and points, with every kind of property value a record holds.
func recordItems(t *testing.T, n, l int, seed uint64) []item {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	statuses := []any{"active", "disputed", "", 1.0, true, false, []any{"a", 2.0}, map[string]any{"k": "v"}, nil, 20250101.0, "1"}
	var items []item
	for i := range n {
		cx, cy := 40+6*r.Float64(), 39+4*r.Float64()
		var g orb.Geometry
		switch i % 5 {
		case 0:
			g = orb.Point{cx, cy}
		case 1:
			g = orb.LineString{{cx, cy}, {cx + r.Float64(), cy + r.Float64()/2}, {cx + 2*r.Float64(), cy}}
		default:
			rad := 0.01 + r.Float64()*r.Float64()*1.5
			k := 5 + r.IntN(12)
			ring := make(orb.Ring, 0, k+1)
			for j := range k {
				a := 2 * math.Pi * float64(j) / float64(k)
				ring = append(ring, orb.Point{cx + rad*math.Cos(a), cy + rad*math.Sin(a)})
			}
			g = orb.Polygon{append(ring, ring[0])}
		}
		props := map[string]any{"name": fmt.Sprint("Feature ", i%37), "status": statuses[r.IntN(len(statuses))],
			"source_count": float64(r.IntN(3)), "category": fmt.Sprint("c", i%4), "ignored": "not a tile field"}
		if i%3 == 0 {
			props["valid_from"] = "2020-05"
		}
		pj, err := json.Marshal(props)
		if err != nil {
			t.Fatal(err)
		}
		w, err := wkb.Marshal(g, binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		from, _ := props["valid_from"].(string)
		b := layers.Body{ID: fmt.Sprintf("f-%05d", i), Bound: g.Bound(), From: from, Properties: pj, WKB: w}
		rec, err := Record("polygons", b, l)
		if err != nil {
			t.Fatal(err)
		}
		it, err := decodeRecord(b.ID, b.Bound, rec)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return items
}

// TestEncodeItemsSameAsOrb checks the tile writer gives, to the byte, the
// tiles orb gave for the same items, from level records (raw properties)
// and from property maps (the deeper zooms' path).
func TestEncodeItemsSameAsOrb(t *testing.T) {
	l := layers.Layer{ID: "syn"}
	for _, c := range []struct {
		z     int
		seed  uint64
		n     int
		maps  bool
		whole bool
	}{
		{z: 6, seed: 1, n: 400},
		{z: 5, seed: 2, n: 300},
		{z: 4, seed: 3, n: 100},
		{z: 6, seed: 4, n: 200, maps: true},
		{z: 10, seed: 5, n: 200, maps: true, whole: true},
		{z: 6, seed: 6, n: 0},
	} {
		t.Run(fmt.Sprintf("z%d-seed%d-maps%v", c.z, c.seed, c.maps), func(t *testing.T) {
			items := recordItems(t, c.n, 6, c.seed)
			if c.maps {
				for i := range items {
					p, err := items[i].properties()
					if err != nil {
						t.Fatal(err)
					}
					items[i].props, items[i].raw = p, nil
				}
			}
			var labels int
			for _, tile := range Cover(orb.Bound{Min: orb.Point{40, 39}, Max: orb.Point{46, 43}}, c.z) {
				want, err := encodeItemsWithOrb(tile, l, items, !c.whole)
				if err != nil {
					t.Fatal(err)
				}
				got, err := encodeItems(tile, l, items, !c.whole)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("tile %v: %d bytes, orb %d; first difference at %d", tile, len(got), len(want), firstDiff(got, want))
				}
				if len(got) > 0 {
					ls, err := mvt.Unmarshal(got)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range ls[0].Features {
						if f.Properties["_label"] == true {
							labels++
						}
					}
				}
			}
			if c.n > 0 && c.z >= labelMinZoom && labels == 0 {
				t.Error("no label point in any tile: the test does not reach them")
			}
		})
	}
}

func TestEncodeItemsCorruptRecord(t *testing.T) {
	items := recordItems(t, 10, 6, 9)
	tile := maptile.At(orb.Point{43, 41}, 6)
	items[2].raw = items[2].raw[:len(items[2].raw)-1]
	items[2].geom = orb.Point{43, 41}
	if _, err := encodeItems(tile, layers.Layer{ID: "syn"}, items, true); err == nil {
		t.Fatal("a truncated record encoded without error")
	}
}

// TestClipInsideSameAsOrb checks the shortcut for what lies inside against
// orb's clipping, on the shapes it must leave to orb.
func TestClipInsideSameAsOrb(t *testing.T) {
	box := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{100, 100}}
	sq := orb.Ring{{10, 10}, {20, 10}, {20, 20}, {10, 20}, {10, 10}}
	for _, g := range []orb.Geometry{
		orb.Point{0, 100},
		orb.Point{101, 5},
		orb.LineString{{1, 1}, {100, 100}},
		orb.LineString{{5, 5}},
		orb.LineString{{5, 5}, {150, 5}, {5, 6}},
		orb.Polygon{sq},
		orb.Polygon{sq, {{15, 15}, {150, 15}, {15, 16}, {15, 15}}}, // a hole out of the box
		orb.Polygon{sq, {}},
		orb.Polygon{{{-5, 10}, {20, 10}, {20, 20}, {-5, 10}}},
		orb.MultiPolygon{{sq}},
		orb.MultiPoint{{1, 1}, {200, 1}},
	} {
		mine := mvt.NewLayer("a", &geojson.FeatureCollection{Features: []*geojson.Feature{geojson.NewFeature(orb.Clone(g))}})
		orbs := mvt.NewLayer("a", &geojson.FeatureCollection{Features: []*geojson.Feature{geojson.NewFeature(orb.Clone(g))}})
		clipInside(mine, box)
		orbs.Clip(box)
		if len(mine.Features) != len(orbs.Features) {
			t.Fatalf("%v: %d features, orb %d", g, len(mine.Features), len(orbs.Features))
		}
		if len(mine.Features) == 1 && !orb.Equal(mine.Features[0].Geometry, orbs.Features[0].Geometry) {
			t.Errorf("%v: clipped to %v, orb %v", g, mine.Features[0].Geometry, orbs.Features[0].Geometry)
		}
	}
}
