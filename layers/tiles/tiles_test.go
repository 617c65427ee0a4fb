package tiles

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/geo"
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
		layers.Feature{ID: "gyumri", Geometry: gyumri, Properties: map[string]any{"name": "Gyumri base", "status": "active", "note": "long text not in tiles", "valid_from": "1995-03", "valid_to": "2044"}},
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
	// Gyumri, the square, and the square's label point (it is 90 px wide).
	if len(ls) != 1 || ls[0].Name != "bases" || len(ls[0].Features) != 3 {
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
			if f.Properties["name"] != "Gyumri base" || f.Properties["note"] != nil || f.Properties["_from"] != 19950301.0 || f.Properties["_to"] != 20441231.0 {
				t.Errorf("properties = %v", f.Properties)
			}
		case "square":
			if f.Properties["_from"] != 0.0 || f.Properties["_to"] != 99991231.0 {
				t.Errorf("open dates = %v", f.Properties)
			}
			_, poly := f.Geometry.(orb.Polygon)
			_, point := f.Geometry.(orb.Point)
			if label := f.Properties["_label"] == true; (label && !point) || (!label && !poly) {
				t.Errorf("square (label %v) is a %T", label, f.Geometry)
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

// An area wide enough to name gets a label point (_label) in the one tile
// that holds it, from zoom 4 on; a small one does not.
func TestAreaLabels(t *testing.T) {
	big := orb.Polygon{{{43, 40}, {46, 40}, {46, 42}, {43, 42}, {43, 40}}}
	small := orb.Polygon{{{44, 39}, {44.01, 39}, {44.01, 39.01}, {44, 39}}}
	sn := snapshot(t,
		layers.Feature{ID: "big", Geometry: big, Properties: map[string]any{"name": "Big area"}},
		layers.Feature{ID: "small", Geometry: small, Properties: map[string]any{"name": "Small area"}},
	)
	set := NewSet(sn)
	labels := func(z int) map[string]int {
		n := map[string]int{}
		for _, tile := range Cover(orb.Bound{Min: orb.Point{42.9, 38.9}, Max: orb.Point{46.1, 42.1}}, z) {
			buf, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range decode(t, buf, tile, "bases") {
				if f.Properties["_label"] == true {
					if !planar.PolygonContains(big, f.Geometry.(orb.Point)) || f.Properties["name"] != "Big area" {
						t.Errorf("z%d: label %v at %v", z, f.Properties, f.Geometry)
					}
					n[f.Properties.MustString("id", "")]++
				}
			}
		}
		return n
	}
	if n := labels(3); len(n) != 0 {
		t.Errorf("z3 labels: %v, want none", n)
	}
	for _, z := range []int{5, 8} {
		if n := labels(z); n["big"] != 1 || n["small"] != 0 {
			t.Errorf("z%d labels: %v, want one for the big area only", z, n)
		}
	}
}

// A tile outside the zoom range or the grid is bad input.
func TestEncodeRejectsBadTiles(t *testing.T) {
	sn := snapshot(t)
	for _, c := range [][3]int{{-1, 0, 0}, {MaxZoom + 1, 0, 0}, {2, 4, 0}, {2, 0, 4}, {0, -1, 0}} {
		if _, err := Encode(sn, c[0], c[1], c[2]); layers.ErrorCode(err) != layers.EINVALID {
			t.Errorf("Encode(%v) = %v, want invalid", c, err)
		}
	}
}

// A crowded cell keeps one feature; an ordinary tile keeps all, even
// features at the same place.
func TestThin(t *testing.T) {
	var feats []layers.Feature
	for i := 0; i < 4600; i++ {
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

// A crowded cell of basemap places keeps the place a reader looks for:
// a capital before the towns around it, whatever their ids.
func TestCrowdedCellKeepsTheMainPlace(t *testing.T) {
	place := func(id string, lon float64, props map[string]any) layers.Feature {
		props["role"], props["name"] = "place", id
		return layers.Feature{ID: id, Geometry: orb.Point{lon, 40.4}, Properties: props}
	}
	// Five towns in one cell, first in id order, the last the most populous.
	towns := func(populated bool) []layers.Feature {
		var fs []layers.Feature
		for i := range 5 {
			props := map[string]any{}
			if populated {
				props["population"] = 50000.0 + float64(i)
			}
			fs = append(fs, place(fmt.Sprintf("a-town-%d", i), 49.8+0.01*float64(i), props))
		}
		return fs
	}
	tests := []struct {
		name  string
		feats []layers.Feature
		want  string
	}{
		{"national capital, last in id order", append(towns(true),
			place("z-capital", 49.89, map[string]any{"population": 1000.0, "capital": 1.0})), "z-capital"},
		{"national over first-level capital", append(towns(true),
			place("y-province", 49.88, map[string]any{"population": 2e6, "capital": 2.0}),
			place("z-capital", 49.89, map[string]any{"population": 1000.0, "capital": 1.0})), "z-capital"},
		{"first-level capital over larger towns", append(towns(true),
			place("z-province", 49.89, map[string]any{"population": 1000.0, "capital": 2.0})), "z-province"},
		{"no capital: the most populous", append(towns(true),
			place("z-city", 49.89, map[string]any{"population": 900000.0})), "z-city"},
		{"towns alone: the most populous", towns(true), "a-town-4"},
		{"equals: the first in id order", towns(false), "a-town-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn, err := layers.NewSnapshot(layers.Layer{ID: "basemap", Kind: layers.KindBasemap}, tt.feats, nil)
			if err != nil {
				t.Fatal(err)
			}
			// At zoom 5, from which every place is in the tiles.
			if kept := namesAt(t, NewSet(sn), orb.Point{49.85, 40.4}, 5); len(kept) != 1 || kept[0] != tt.want {
				t.Errorf("kept %v, want [%s]", kept, tt.want)
			}
		})
	}
}

// A basemap place is in the tiles from the zoom the map labels it from:
// capitals from 3, towns of 500,000 and more from 4, the rest from 5.
func TestBasemapPlacesFromTheirZoom(t *testing.T) {
	at := orb.Point{44.5, 40.2} // the four lie in one tile up to zoom 9
	beyond := orb.Point{37.6, 55.75}
	sn, err := layers.NewSnapshot(layers.Layer{ID: "basemap", Kind: layers.KindBasemap}, []layers.Feature{
		{ID: "capital", Geometry: at, Properties: map[string]any{"name": "capital", "role": "place", "population": 1000.0, "capital": 1.0}},
		{ID: "city", Geometry: orb.Point{44.55, 40.22}, Properties: map[string]any{"name": "city", "role": "place", "population": 500000.0}},
		{ID: "town", Geometry: orb.Point{44.6, 40.18}, Properties: map[string]any{"name": "town", "role": "place", "population": 499999.0, "capital": 2.0}},
		{ID: "region", Geometry: orb.Point{44.65, 40.25}, Properties: map[string]any{"name": "region", "role": "region"}},
		// A capital beyond the 1:10m extent, in a tile of its own: from
		// zoom 5, like a small town.
		{ID: "beyond", Geometry: beyond, Properties: map[string]any{"name": "beyond", "role": "place", "population": 2e6, "capital": 1.0, "beyond": true}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := NewSet(sn)
	want := map[int]string{2: "region", 3: "capital region", 4: "capital city region", 5: "capital city region town", 9: "capital city region town"}
	for z, w := range want {
		got := namesAt(t, set, at, z)
		slices.Sort(got)
		if strings.Join(got, " ") != w {
			t.Errorf("z%d: %v, want %s", z, got, w)
		}
	}
	for z, w := range map[int]string{3: "", 4: "", 5: "beyond", 9: "beyond"} {
		if got := strings.Join(namesAt(t, set, beyond, z), " "); got != w {
			t.Errorf("z%d at the place beyond the extent: %q, want %q", z, got, w)
		}
	}
}

// namesAt lists the names of the basemap features in set's zoom-z tile at p.
func namesAt(t *testing.T, set *Set, p orb.Point, z int) []string {
	t.Helper()
	tile := maptile.At(p, maptile.Zoom(z))
	buf, err := set.Encode(z, int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range decode(t, buf, tile, "basemap") {
		names = append(names, f.Properties["name"].(string))
	}
	return names
}

func mustEncode(t *testing.T, sn *layers.Snapshot, tile maptile.Tile) []byte {
	t.Helper()
	b, err := Encode(sn, int(tile.Z), int(tile.X), int(tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode returns tile's features of layer name, in WGS84.
func decode(t *testing.T, b []byte, tile maptile.Tile, name string) []*geojson.Feature {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	ls.ProjectToWGS84(tile)
	for _, l := range ls {
		if l.Name == name {
			return l.Features
		}
	}
	return nil
}

func ids(fs []*geojson.Feature) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.Properties.MustString("id", "")] = true
	}
	return m
}

// Low zooms draw generalized geometry: an area below a pixel is a point,
// a long line loses the vertices a pixel cannot show; deep zooms have both
// in full.
func TestGeneralized(t *testing.T) {
	tiny := orb.Polygon{{{44, 41}, {44.001, 41}, {44.001, 41.001}, {44, 41.001}, {44, 41}}}
	var wiggly orb.LineString
	for i := 0; i <= 400; i++ {
		x := 43.98 + float64(i)*0.0002
		wiggly = append(wiggly, orb.Point{x, 41.0005 + 0.0003*float64(i%2)})
	}
	sn := snapshot(t,
		layers.Feature{ID: "tiny", Geometry: tiny},
		layers.Feature{ID: "wiggly", Geometry: wiggly},
	)
	set := NewSet(sn)
	var polygon bool
	vertices := func(z int) (map[string]bool, int) {
		tile := maptile.At(orb.Point{44.0005, 41.0005}, maptile.Zoom(z))
		b, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
		if err != nil {
			t.Fatal(err)
		}
		fs := decode(t, b, tile, "bases")
		n := 0
		for _, f := range fs {
			switch g := f.Geometry.(type) {
			case orb.LineString:
				n += len(g)
			case orb.Polygon:
				if f.Properties["id"] == "tiny" {
					polygon = true
				}
			}
		}
		return ids(fs), n
	}
	polygon = false
	low, lowN := vertices(4)
	if !low["tiny"] || polygon || !low["wiggly"] {
		t.Errorf("z4 holds %v (square as polygon: %v), want the line and the sub-pixel square as a point", low, polygon)
	}
	high, highN := vertices(14)
	if !high["tiny"] || !polygon || !high["wiggly"] {
		t.Errorf("z14 holds %v, want both", high)
	}
	if lowN == 0 || lowN > 10 || highN < 20 {
		t.Errorf("line vertices at z4: %d, at z14: %d; want a handful at z4, many at z14", lowN, highN)
	}
	// The layer's geometry is untouched by generalization.
	if len(sn.Features[1].Geometry.(orb.LineString)) != 401 {
		t.Error("generalizing changed the layer")
	}
}

// A tile over 60,000 polygons a pixel or two across stays under MaxBytes
// yet shows where they are; at a deep zoom every one of them is there.
func TestCrowdedTileUnderLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 60,000-feature layer")
	}
	const n = 60000
	feats := make([]layers.Feature, n)
	for i := range feats {
		// A 245×245 lattice of ~1 km squares over 2.5°×2.5° near Yerevan.
		x := 43 + float64(i%245)*0.0102
		y := 39 + float64(i/245)*0.0102
		d := 0.009
		feats[i] = layers.Feature{ID: fmt.Sprintf("f-%06d", i),
			Geometry:   orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x + d/2, y + d*1.2}, {x, y + d}, {x, y}}},
			Properties: map[string]any{"name": fmt.Sprintf("Synthetic area number %d", i), "status": "active", "category": "c" + fmt.Sprint(i%7)},
		}
	}
	sn := snapshot(t, feats...)
	set := NewSet(sn)
	for z := 0; z <= 8; z++ {
		tile := maptile.At(orb.Point{44.2, 40.2}, maptile.Zoom(z))
		b, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
		if err != nil {
			t.Fatal(err)
		}
		fs := decode(t, b, tile, "bases")
		t.Logf("z%d: %d bytes, %d features", z, len(b), len(fs))
		// The area spans a few pixels at z0 and a tile at z7: a sample at
		// every zoom, and from z5 at least a hundred.
		if len(b) > MaxBytes || len(fs) == 0 || (z >= 5 && len(fs) < 100) {
			t.Errorf("z%d: %d bytes, %d features; want at most %d bytes and a sample of the layer", z, len(b), len(fs), MaxBytes)
		}
	}
	tile := maptile.At(orb.Point{44.2, 40.2}, 14)
	fs := decode(t, mustEncode(t, sn, tile), tile, "bases")
	want := sn.Search(tile.Bound())
	if len(fs) < len(want) || len(want) == 0 {
		t.Errorf("z14: %d features, want all %d that meet the tile", len(fs), len(want))
	}
}

// Basemap tiles carry the country label points: one per country at every
// zoom, the grid points from the zoom the map shows them at.
func TestBasemapLabels(t *testing.T) {
	sq := func(a, b, c, d float64) orb.Polygon {
		return orb.Polygon{{{a, b}, {c, b}, {c, d}, {a, d}, {a, b}}}
	}
	sn, err := layers.NewSnapshot(layers.Layer{ID: "basemap", Kind: layers.KindBasemap}, []layers.Feature{
		{ID: "a", Geometry: orb.MultiPolygon{sq(40, 38, 46, 42)}, Properties: map[string]any{"name": "Big", "role": "country"}},
		{ID: "b", Geometry: sq(46.1, 40, 46.5, 40.5), Properties: map[string]any{"name": "Tiny", "role": "country"}},
		{ID: "c", Geometry: orb.Point{44.5, 40.2}, Properties: map[string]any{"name": "Town", "role": "place", "population": 1000}},
		// Big's part beyond the 1:10m extent: checked against, not drawn (the
		// land tiers are), named only by its grid in close views.
		{ID: "a-beyond", Geometry: orb.MultiPolygon{sq(47, 38, 53, 42)}, Properties: map[string]any{"name": "Big", "role": "country", "beyond": true}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := NewSet(sn)
	countIn := func(b orb.Bound, z int) (named, grid int, town bool) {
		for _, tile := range Cover(b, z) {
			buf, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range decode(t, buf, tile, LabelLayer) {
				if !tile.Bound().Contains(f.Geometry.(orb.Point)) || !b.Contains(f.Geometry.(orb.Point)) {
					continue // a neighbour's, in the buffer, or outside b
				}
				if f.Properties["_grid"] != nil {
					grid++
				} else if f.Properties["name"] == "Big" {
					named++
				} else {
					t.Errorf("label %v", f.Properties)
				}
			}
			for _, f := range decode(t, buf, tile, "basemap") {
				if f.Properties["name"] == "Town" && f.Properties["role"] == "place" && f.Properties["population"] == 1000.0 {
					town = true
				}
				if _, point := f.Geometry.(orb.Point); f.Properties["name"] == "Big" && !point && f.Geometry.Bound().Max[0] > 46.5 {
					t.Errorf("z%d: the part beyond the extent is drawn in tile %v (the land tiers draw it)", z, tile)
				}
			}
		}
		return named, grid, town
	}
	count := func(z int) (named, grid int, town bool) { return countIn(sq(40, 38, 46.5, 42).Bound(), z) }
	if named, grid, town := count(3); named != 1 || grid != 0 || town {
		t.Errorf("z3: %d country labels, %d grid points, town %v; want 1, 0, false (a town of 1,000 from zoom 5)", named, grid, town)
	}
	if _, _, town := count(5); !town {
		t.Errorf("z5: no town")
	}
	if named, grid, _ := count(9); named != 1 || grid < 20 {
		t.Errorf("z9: %d country labels, %d grid points; want 1 and the grid", named, grid)
	}
	for _, z := range []int{3, 6} {
		if named, grid, _ := countIn(sq(47, 38, 53, 42).Bound(), z); named != 0 || grid != 0 {
			t.Errorf("z%d: the part beyond the extent has %d country labels and %d grid points; want none", z, named, grid)
		}
	}
	if named, grid, _ := countIn(sq(47, 38, 53, 42).Bound(), 9); named != 0 || grid < 20 {
		t.Errorf("z9: the part beyond the extent has %d country labels and %d grid points; want its grid alone", named, grid)
	}
}

// TestGridInside: the grid points a country is named at in close views are
// those the even-odd rule puts inside it, point by point, for every country
// of the bundled basemap: holes, islands and a part across 160° of
// longitude (Russia's beyond the extent).
func TestGridInside(t *testing.T) {
	d, err := layers.ReadFile(data.FS(), "layers/basemap.geojson", "")
	if err != nil {
		t.Fatal(err)
	}
	var checked, points int
	for _, f := range d.Features["basemap"] {
		if f.Properties["role"] != "country" {
			continue
		}
		b := f.Geometry.Bound()
		var want []orb.Point
		for gx := int(math.Ceil(b.Min[0] / labelStep)); float64(gx)*labelStep < b.Max[0]; gx++ {
			for gy := int(math.Ceil(b.Min[1] / labelStep)); float64(gy)*labelStep < b.Max[1]; gy++ {
				if p := (orb.Point{float64(gx) * labelStep, float64(gy) * labelStep}); evenOdd(f.Geometry, p) {
					want = append(want, p)
				}
			}
		}
		got := gridInside(f.Geometry, b)
		less := func(a, b orb.Point) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
		slices.SortFunc(want, less)
		slices.SortFunc(got, less)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d grid points inside, want %d", f.ID, len(got), len(want))
		}
		checked++
		points += len(want)
	}
	if checked < 30 || points < 1000 {
		t.Errorf("%d countries, %d grid points: the basemap has more", checked, points)
	}
}

// evenOdd is the even-odd rule over every ring of an area, for one point.
func evenOdd(g orb.Geometry, p orb.Point) bool {
	inside := false
	for _, poly := range geo.RegionOf(g) {
		for _, r := range poly {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				if (r[i][1] > p[1]) != (r[j][1] > p[1]) && p[0] < (r[j][0]-r[i][0])*(p[1]-r[i][1])/(r[j][1]-r[i][1])+r[i][0] {
					inside = !inside
				}
			}
		}
	}
	return inside
}

// synthetic is n polygons of 5-16 vertices, 0.5-5 km across, over the
// Caucasus (lon 38-50, lat 38-44), like bench/gen's.
func synthetic(tb testing.TB, n int) *layers.Snapshot {
	tb.Helper()
	feats := make([]layers.Feature, n)
	seed := uint64(1)
	rnd := func() float64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return float64(seed>>11) / (1 << 53)
	}
	for i := range feats {
		cx, cy := 38+12*rnd(), 38+6*rnd()
		r := (0.25 + 2.25*rnd()) / 111
		k := 5 + int(rnd()*12)
		ring := make(orb.Ring, 0, k+1)
		for j := 0; j < k; j++ {
			a := 2 * math.Pi * float64(j) / float64(k)
			ring = append(ring, orb.Point{cx + r*math.Cos(a)/math.Cos(cy*math.Pi/180), cy + r*math.Sin(a)})
		}
		ring = append(ring, ring[0])
		feats[i] = layers.Feature{ID: fmt.Sprintf("f-%07d", i), Geometry: orb.Polygon{ring},
			Properties: map[string]any{"name": fmt.Sprintf("Feature %d", i), "status": "active", "category": fmt.Sprint("c", i%5)}}
	}
	sn, err := layers.NewSnapshot(layers.Layer{ID: "syn"}, feats, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return sn
}

// BenchmarkZ6 cuts the z6 tile over Yerevan of 100,000 polygons: "first"
// includes generalizing the layer for z6 (once per zoom and revision),
// "level-built" is every later tile of that zoom.
func BenchmarkZ6(b *testing.B) {
	sn := synthetic(b, 100_000)
	tile := maptile.At(orb.Point{44.5, 40.2}, 6)
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			set := NewSet(sn)
			buf, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		}
	})
	set := NewSet(sn)
	set.level(6)
	b.Run("level-built", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			buf, err := set.Encode(int(tile.Z), int(tile.X), int(tile.Y))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		}
	})
	b.Run("full-resolution", func(b *testing.B) {
		// The reference: what a request cost before levels (clip and
		// simplify the full geometry of every feature in the tile).
		for i := 0; i < b.N; i++ {
			fc := geojson.NewFeatureCollection()
			for _, j := range sn.Search(tile.Bound(buffer)) {
				f := geojson.NewFeature(orb.Clone(sn.Features[j].Geometry))
				f.Properties = geojson.Properties{"id": sn.Features[j].ID, "name": sn.Flat[j]["name"]}
				fc.Append(f)
			}
			ls := mvt.NewLayers(map[string]*geojson.FeatureCollection{"syn": fc})
			ls.ProjectToTile(tile)
			ls.Simplify(simplify.DouglasPeucker(4))
			ls.RemoveEmpty(1, 1)
			buf, err := mvt.Marshal(ls)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		}
	})
}

// TestBasemapTileBytesStable: a basemap tile with both its layers (features
// and labels) is the same bytes each time it is made, so its ETag holds
// across starts. The layers once came in a map's order.
func TestBasemapTileBytesStable(t *testing.T) {
	sn, err := layers.NewSnapshot(layers.Layer{ID: "basemap", Kind: layers.KindBasemap}, []layers.Feature{
		{ID: "a", Geometry: orb.Polygon{{{40, 38}, {46, 38}, {46, 42}, {40, 42}, {40, 38}}}, Properties: map[string]any{"name": "Big", "role": "country"}},
		{ID: "c", Geometry: orb.Point{44.5, 40.2}, Properties: map[string]any{"name": "Town", "role": "place", "population": 1e6, "capital": 1.0}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(orb.Point{44.5, 40.2}, 4)
	var first []byte
	for i := range 20 {
		buf, err := NewSet(sn).Encode(4, int(tile.X), int(tile.Y))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf
			if got := len(decode(t, buf, tile, LabelLayer)); got != 1 {
				t.Fatalf("%d labels in the tile, want 1", got)
			}
			continue
		}
		if !bytes.Equal(buf, first) {
			t.Fatalf("make %d: %d bytes differ from the first make's %d", i+1, len(buf), len(first))
		}
	}
}
