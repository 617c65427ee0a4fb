package tiles

import (
	"fmt"
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
	if len(b) != 0 {
		t.Errorf("tile 6/0/0 has %d bytes, want an empty body", len(b))
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

// A crowded tile keeps one feature per grid cell; an ordinary one keeps all,
// even features at the same place.
func TestThin(t *testing.T) {
	var feats []layers.Feature
	for i := 0; i < dense+500; i++ {
		feats = append(feats, layers.Feature{ID: fmt.Sprintf("same-%05d", i), Geometry: orb.Point{44, 41}})
	}
	feats = append(feats, layers.Feature{ID: "zz-apart", Geometry: orb.Point{45, 42}})
	sn := snapshot(t, feats...)
	tile := maptile.At(orb.Point{44, 41}, 5)
	ls, err := mvt.Unmarshal(mustEncode(t, sn, tile))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ls[0].Features); n != 2 {
		t.Errorf("crowded tile kept %d features, want 2 (one per occupied cell)", n)
	}
	small := snapshot(t, feats[0], feats[1], feats[2])
	if ls, err = mvt.Unmarshal(mustEncode(t, small, tile)); err != nil {
		t.Fatal(err)
	}
	if n := len(ls[0].Features); n != 3 {
		t.Errorf("ordinary tile kept %d of 3 features at one place", n)
	}
}

func mustEncode(t *testing.T, sn *layers.Snapshot, tile maptile.Tile) []byte {
	t.Helper()
	b, err := Encode(sn, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
