package tiles

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/citemap/citemap/layers"
)

func snapshot(t *testing.T, feats ...layers.Feature) *layers.Snapshot {
	t.Helper()
	sn, err := layers.NewSnapshot(layers.Layer{ID: "bases"}, feats, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

func TestEncode(t *testing.T) {
	gyumri := orb.Point{43.84635, 40.79305}
	square := orb.Polygon{{{43, 40}, {44, 40}, {44, 41}, {43, 41}, {43, 40}}}
	sn := snapshot(t,
		layers.Feature{ID: "gyumri", Geometry: gyumri, Properties: map[string]any{"name": "Gyumri base", "status": "active", "note": "long text not in tiles"}},
		layers.Feature{ID: "square", Geometry: square, Properties: map[string]any{"name": "Square"}},
	)
	tile := maptile.At(gyumri, 6)
	b, err := Encode(sn, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].Name != "bases" || len(ls[0].Features) != 2 {
		t.Fatalf("layers = %+v", ls)
	}
	ls.ProjectToWGS84(tile)
	for _, f := range ls[0].Features {
		switch f.Properties["id"] {
		case "gyumri":
			p := f.Geometry.(orb.Point)
			if dx, dy := p[0]-gyumri[0], p[1]-gyumri[1]; dx*dx+dy*dy > 0.01*0.01 {
				t.Errorf("gyumri decoded at %v", p)
			}
			if f.Properties["name"] != "Gyumri base" || f.Properties["note"] != nil {
				t.Errorf("properties = %v", f.Properties)
			}
		case "square":
			if _, ok := f.Geometry.(orb.Polygon); !ok {
				t.Errorf("square is a %T", f.Geometry)
			}
		default:
			t.Errorf("unexpected feature %v", f.Properties)
		}
	}
	// The snapshot's geometry is untouched by projection and clipping.
	if sn.Features[0].Geometry != gyumri || !sn.Features[1].Geometry.(orb.Polygon).Equal(square) {
		t.Error("Encode modified the layer's geometry")
	}

	// A tile far away is empty.
	b, err = Encode(sn, 6, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ls, _ := mvt.Unmarshal(b); len(ls) != 0 && len(ls[0].Features) != 0 {
		t.Errorf("tile 6/0/0 has %d features", len(ls[0].Features))
	}
}

func TestEncodeRejectsBadTiles(t *testing.T) {
	sn := snapshot(t)
	for _, c := range [][3]int{{-1, 0, 0}, {MaxZoom + 1, 0, 0}, {2, 4, 0}, {2, 0, 4}, {0, -1, 0}} {
		if _, err := Encode(sn, c[0], c[1], c[2]); layers.ErrorCode(err) != layers.ENOTFOUND {
			t.Errorf("Encode(%v) = %v, want not_found", c, err)
		}
	}
}
