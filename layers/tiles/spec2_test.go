package tiles

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/citemap/citemap/layers"
)

func TestToSpec2(t *testing.T) {
	// Tile coordinates, y down: {0,0} {10,0} {10,10} {0,10} winds clockwise
	// on screen (positive area by the spec's formula), its reverse anticlockwise.
	cw := orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}
	acw := orb.Ring{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}
	holeCW := orb.Ring{{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}}
	holeACW := orb.Ring{{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}}
	for _, c := range []struct {
		name string
		in   orb.Geometry
		want orb.Geometry // nil: dropped
	}{
		{"outer ring kept as wound", orb.Polygon{cw}, orb.Polygon{cw}},
		{"outer ring reversed", orb.Polygon{acw}, orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}},
		{"hole kept as wound", orb.Polygon{cw, holeACW}, orb.Polygon{cw, holeACW}},
		{"hole reversed", orb.Polygon{cw, holeCW}, orb.Polygon{cw, {{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}}}},
		{"bare ring is an outer ring", acw, orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
		{"coordinates as the writer truncates them", orb.Polygon{{{0.4, 0.6}, {10.9, 0.2}, {10.5, 10.5}, {0.1, 10.99}, {0.4, 0.6}}}, orb.Polygon{cw}},
		{"repeated points dropped", orb.Polygon{{{0, 0}, {10, 0}, {10, 0}, {10.5, 0.5}, {10, 10}, {0, 10}, {0, 0}}}, orb.Polygon{cw}},
		{"unclosed ring closed", orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}, orb.Polygon{cw}},
		{"ring without area dropped with its holes", orb.Polygon{{{0, 0}, {5, 5}, {10, 10}, {0, 0}}, holeACW}, nil},
		{"ring of two points dropped", orb.Polygon{{{0, 0}, {10, 0}, {10.3, 0.2}, {0, 0}}}, nil},
		{"hole without area dropped", orb.Polygon{cw, {{2, 2}, {3, 3}, {4, 4}, {2, 2}}}, orb.Polygon{cw}},
		{"multipolygon keeps its drawable parts", orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}, {acw}}, orb.MultiPolygon{{cw}}},
		{"multipolygon with nothing left", orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}}, nil},
		{"line without repeats", orb.LineString{{0, 0}, {0, 0}, {5, 5}, {5.2, 5.9}, {7, 7}}, orb.LineString{{0, 0}, {5, 5}, {7, 7}}},
		{"line of one point dropped", orb.LineString{{1.2, 1}, {1.7, 1.9}}, nil},
		{"multiline keeps its lines", orb.MultiLineString{{{1, 1}, {1, 1}}, {{0, 0}, {3, 0}}}, orb.MultiLineString{{{0, 0}, {3, 0}}}},
		{"point unchanged", orb.Point{3.5, 4}, orb.Point{3.5, 4}},
		{"collection: its first member", orb.Collection{orb.Polygon{acw}}, orb.Collection{orb.Polygon{cw}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := spec2Geometry(orb.Clone(c.in))
			if c.want == nil {
				if got != nil {
					t.Fatalf("got %v, want it dropped", got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestToSpec2Layers(t *testing.T) {
	fc := geojson.NewFeatureCollection()
	fc.Append(geojson.NewFeature(orb.Polygon{{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}}))
	fc.Append(geojson.NewFeature(orb.LineString{{4, 4}, {4.5, 4.5}})) // one point once written
	fc.Append(geojson.NewFeature(orb.Point{1, 1}))
	ls := mvt.NewLayers(map[string]*geojson.FeatureCollection{"a": fc})
	toSpec2(ls)
	if ls[0].Version != 2 {
		t.Errorf("version %d, want 2", ls[0].Version)
	}
	if n := len(ls[0].Features); n != 2 {
		t.Fatalf("%d features, want 2 (the line with one point dropped)", n)
	}
	if _, ok := ls[0].Features[1].Geometry.(orb.Point); !ok {
		t.Errorf("second feature %v, want the point", ls[0].Features[1].Geometry)
	}
}

// TestTilesFollowSpec2 reads the encoded tiles' geometry commands as a
// client does: every layer says version 2, no LineTo stands still, every
// ring has an area, and each polygon feature starts with an outer ring
// (positive area). The data are wound the wrong way round on purpose (RFC
// 7946 winds outer rings anticlockwise in longitude and latitude, which is
// what tiles want once y points down).
func TestTilesFollowSpec2(t *testing.T) {
	var feats []layers.Feature
	for i := 0; i < 40; i++ {
		x, y := 40+float64(i%8)*0.7, 39+float64(i/8)*0.7
		// Clockwise in lon/lat: the outer ring and its hole both.
		outer := orb.Ring{{x, y}, {x, y + 0.5}, {x + 0.5, y + 0.5}, {x + 0.5, y}, {x, y}}
		hole := orb.Ring{{x + 0.1, y + 0.1}, {x + 0.1, y + 0.2}, {x + 0.2, y + 0.2}, {x + 0.2, y + 0.1}, {x + 0.1, y + 0.1}}
		feats = append(feats, layers.Feature{ID: fmt.Sprintf("p%d", i), Geometry: orb.Polygon{outer, hole}, Properties: map[string]any{"name": "area"}})
		feats = append(feats, layers.Feature{ID: fmt.Sprintf("l%d", i), Geometry: orb.LineString{{x, y}, {x, y}, {x + 0.3, y + 0.1}}, Properties: map[string]any{"name": "line"}})
	}
	sn := snapshot(t, feats...)
	checked := 0
	for _, z := range []int{3, 6, 9, 12, 14} {
		for _, tile := range Cover(orb.Bound{Min: orb.Point{40, 39}, Max: orb.Point{45.5, 42.5}}, z) {
			b, err := Encode(sn, z, int(tile.X), int(tile.Y))
			if err != nil {
				t.Fatal(err)
			}
			checked += checkSpec2(t, tile, b)
		}
	}
	for seed := uint64(1); seed <= 3; seed++ {
		items := recordItems(t, 300, 6, seed)
		for _, tile := range Cover(orb.Bound{Min: orb.Point{40, 39}, Max: orb.Point{46, 43}}, 6) {
			b, err := encodeItems(tile, layers.Layer{ID: "syn"}, items, true)
			if err != nil {
				t.Fatal(err)
			}
			checked += checkSpec2(t, tile, b)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d polygon features checked", checked)
	}
}

// checkSpec2 checks tile b's geometry commands as TestTilesFollowSpec2
// says, and returns how many polygon features it read.
func checkSpec2(t *testing.T, tile maptile.Tile, b []byte) int {
	t.Helper()
	var vt vectortile.Tile
	if err := vt.Unmarshal(b); err != nil {
		t.Fatalf("tile %v: %v", tile, err)
	}
	polygons := 0
	for _, l := range vt.Layers {
		if l.GetVersion() != 2 {
			t.Errorf("tile %v layer %s: version %d", tile, l.GetName(), l.GetVersion())
		}
		for _, f := range l.Features {
			rings, err := commandRings(f.Geometry)
			if err != nil {
				t.Fatalf("tile %v layer %s feature %d: %v", tile, l.GetName(), f.GetId(), err)
			}
			if f.GetType() != vectortile.Tile_POLYGON {
				continue
			}
			polygons++
			for i, r := range rings {
				switch {
				case len(r) < 3:
					t.Errorf("tile %v feature %d: ring %d has %d points", tile, f.GetId(), i, len(r))
				case r.Orientation() == 0:
					t.Errorf("tile %v feature %d: ring %d has no area", tile, f.GetId(), i)
				case i == 0 && r.Orientation() != orb.CCW: // y down: clockwise on screen
					t.Errorf("tile %v feature %d: first ring winds anticlockwise on screen", tile, f.GetId())
				}
			}
		}
	}
	return polygons
}

// commandRings decodes geometry commands into their point runs (each
// MoveTo starts one), failing on a LineTo that does not move.
func commandRings(cmds []uint32) ([]orb.Ring, error) {
	var out []orb.Ring
	var x, y int32
	for i := 0; i < len(cmds); {
		id, n := cmds[i]&7, int(cmds[i]>>3)
		i++
		switch id {
		case cmdMoveTo, cmdLineTo:
			if i+2*n > len(cmds) {
				return nil, fmt.Errorf("command %d: %d points past the end", id, n)
			}
			for k := 0; k < n; k++ {
				dx := int32(cmds[i]>>1) ^ -int32(cmds[i]&1)
				dy := int32(cmds[i+1]>>1) ^ -int32(cmds[i+1]&1)
				i += 2
				if id == cmdLineTo && dx == 0 && dy == 0 {
					return nil, fmt.Errorf("LineTo (0, 0) after (%d, %d)", x, y)
				}
				x, y = x+dx, y+dy
				if id == cmdMoveTo {
					out = append(out, nil)
				}
				out[len(out)-1] = append(out[len(out)-1], orb.Point{float64(x), float64(y)})
			}
		case cmdClosePath:
		default:
			return nil, fmt.Errorf("unknown command %d", id)
		}
	}
	return out, nil
}
