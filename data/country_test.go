package data

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// countryTolerance is how far (in metres) a vertex may lie outside the
// countries its feature names: the basemap is Natural Earth 1:10m, whose
// borders are off by hundreds of metres.
const countryTolerance = 500.0

// basemapArea is one basemap country: its polygons and their vertices (a
// feature drawn from the same Natural Earth data shares them exactly).
type basemapArea struct {
	polys    orb.MultiPolygon
	vertices map[orb.Point]bool
}

func basemapAreas(t *testing.T, d *layers.Dataset) map[string]basemapArea {
	t.Helper()
	areas := map[string]basemapArea{}
	for _, f := range d.Features["basemap"] {
		if r, _ := f.Properties["role"].(string); r != "" && r != "country" {
			continue // land beyond the countries' extent, border lines, towns
		}
		mp := geo.RegionOf(f.Geometry)
		if mp == nil {
			continue
		}
		// A country of the countries layer has a second feature, its part
		// beyond the 1:10m extent: both make its area.
		a, ok := areas[f.Name()]
		if !ok {
			a = basemapArea{vertices: map[orb.Point]bool{}}
		}
		a.polys = append(a.polys, mp...)
		for _, p := range mp {
			for _, r := range p {
				for _, v := range r {
					a.vertices[v] = true
				}
			}
		}
		areas[f.Name()] = a
	}
	if len(areas) < 12 {
		t.Fatalf("the basemap has only %d country areas", len(areas))
	}
	return areas
}

// metresOutside returns 0 when p lies inside (or on the border of) any of
// the areas, and otherwise its distance in metres to the nearest of them.
func metresOutside(p orb.Point, areas []basemapArea) float64 {
	for _, a := range areas {
		if a.vertices[p] || planar.MultiPolygonContains(a.polys, p) {
			return 0
		}
	}
	best := math.Inf(1)
	// Local equirectangular metres around p: exact enough over a few km.
	const r = 6371008.8
	k := math.Cos(p.Lat() * math.Pi / 180)
	xy := func(q orb.Point) (float64, float64) {
		return (q.Lon() - p.Lon()) * math.Pi / 180 * r * k, (q.Lat() - p.Lat()) * math.Pi / 180 * r
	}
	for _, a := range areas {
		for _, poly := range a.polys {
			for _, ring := range poly {
				b := ring.Bound().Pad(0.05)
				if !b.Contains(p) {
					continue
				}
				for i := 1; i < len(ring); i++ {
					ax, ay := xy(ring[i-1])
					bx, by := xy(ring[i])
					best = math.Min(best, segmentDistance(ax, ay, bx, by))
				}
			}
		}
	}
	return best
}

// segmentDistance is the distance from the origin to the segment a-b.
func segmentDistance(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func vertices(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch g := g.(type) {
	case orb.Point:
		out = append(out, g)
	case orb.MultiPoint:
		out = append(out, g...)
	case orb.LineString:
		out = append(out, g...)
	case orb.MultiLineString:
		for _, l := range g {
			out = append(out, l...)
		}
	case orb.Polygon:
		for _, r := range g {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	}
	return out
}

// Every vertex of every feature that names its countries lies inside the
// union of those countries' basemap polygons, within countryTolerance, and
// so does every point along a line between its vertices; a
// feature that names none lies (at least in part) outside the basemap's
// countries. Each offending vertex is named.
func TestVerticesInsideTheirCountries(t *testing.T) {
	d := dataset(t)
	areas := basemapAreas(t, d)
	all := make([]basemapArea, 0, len(areas))
	for _, a := range areas {
		all = append(all, a)
	}
	checked := 0
	for _, l := range d.Layers {
		if l.Kind == layers.KindBasemap {
			continue
		}
		for _, f := range d.Features[l.ID] {
			country, _ := f.Properties["country"].(string)
			if country == "" {
				outside := false
				for _, v := range vertices(f.Geometry) {
					if metresOutside(v, all) > countryTolerance {
						outside = true
						break
					}
				}
				if !outside {
					t.Errorf("%s/%s names no country but lies inside the basemap's countries", l.ID, f.ID)
				}
				continue
			}
			var named []basemapArea
			for _, name := range strings.Split(country, ";") {
				a, ok := areas[strings.TrimSpace(name)]
				if !ok {
					t.Errorf("%s/%s: country %q is not the name of a basemap country", l.ID, f.ID, name)
					continue
				}
				named = append(named, a)
			}
			if len(named) == 0 {
				continue
			}
			bad := 0
			for i, v := range vertices(f.Geometry) {
				if m := metresOutside(v, named); m > countryTolerance {
					if bad++; bad <= 20 {
						t.Errorf("%s/%s: vertex %d %v lies %s outside %s", l.ID, f.ID, i, v, fmtMetres(m), country)
					}
				}
			}
			// A route never cuts across a neighbour between its vertices either.
			for _, ls := range lines(f.Geometry) {
				for i := 1; i < len(ls); i++ {
					for _, p := range between(ls[i-1], ls[i], 100) {
						if m := metresOutside(p, named); m > countryTolerance {
							if bad++; bad <= 20 {
								t.Errorf("%s/%s: the segment from vertex %d %v to %v passes %v, %s outside %s", l.ID, f.ID, i-1, ls[i-1], ls[i], p, fmtMetres(m), country)
							}
							break
						}
					}
				}
			}
			if bad > 20 {
				t.Errorf("%s/%s: %d vertices in all lie outside %s", l.ID, f.ID, bad, country)
			}
			checked++
		}
	}
	if checked < 30 {
		t.Errorf("only %d features name their countries", checked)
	}
}

func lines(g orb.Geometry) []orb.LineString {
	switch g := g.(type) {
	case orb.LineString:
		return []orb.LineString{g}
	case orb.MultiLineString:
		return g
	}
	return nil
}

// between returns points along a-b (ends excluded) about every step metres.
func between(a, b orb.Point, step float64) []orb.Point {
	k := math.Cos(a.Lat() * math.Pi / 180)
	dx := (b.Lon() - a.Lon()) * k * 111195
	dy := (b.Lat() - a.Lat()) * 111195
	n := int(math.Hypot(dx, dy) / step)
	var out []orb.Point
	for i := 1; i <= n; i++ {
		t := float64(i) / float64(n+1)
		out = append(out, orb.Point{a.Lon() + t*(b.Lon()-a.Lon()), a.Lat() + t*(b.Lat()-a.Lat())})
	}
	return out
}

func fmtMetres(m float64) string {
	if math.IsInf(m, 1) {
		return "far"
	}
	return fmt.Sprintf("%.0f m", m)
}

// The check itself: a vertex 1 km inside Iran fails for a feature that names
// Armenia, one 200 m across passes, one inside passes.
func TestMetresOutside(t *testing.T) {
	d := dataset(t)
	areas := basemapAreas(t, d)
	am := []basemapArea{areas["Armenia"]}
	// Meghri, in Armenia.
	if m := metresOutside(orb.Point{46.24308, 38.90123}, am); m != 0 {
		t.Errorf("Meghri lies %.0f m outside Armenia", m)
	}
	// Tabriz, in Iran: far outside Armenia.
	if m := metresOutside(orb.Point{46.2919, 38.0800}, am); m < 50000 {
		t.Errorf("Tabriz lies only %.0f m outside Armenia", m)
	}
	// A border vertex moved south into Iran by about 200 m and 1 km.
	var v orb.Point
	for _, p := range areas["Armenia"].polys {
		for _, q := range p[0] {
			if q.Lat() < 38.9 && (v == orb.Point{} || q.Lat() < v.Lat()) {
				v = q
			}
		}
	}
	if (v == orb.Point{}) {
		t.Fatal("no Armenian vertex on the Iranian border")
	}
	near := orb.Point{v.Lon(), v.Lat() - 0.0018}
	far := orb.Point{v.Lon(), v.Lat() - 0.009}
	if m := metresOutside(near, am); m > countryTolerance {
		t.Errorf("%v, ~200 m south of Armenia's southernmost vertex, lies %.0f m outside", near, m)
	}
	if m := metresOutside(far, am); m < countryTolerance || m > 1100 {
		t.Errorf("%v, ~1 km south of Armenia's southernmost vertex, lies %.0f m outside", far, m)
	}
}

// The routes along the Araks run inside Armenia and Azerbaijan, off the
// border line: no vertex and no point between vertices comes within 100 m of
// Iran on the basemap (the review found TRIPP vertices inside Iran).
func TestRoutesAlongTheAraksStayOutOfIran(t *testing.T) {
	d := dataset(t)
	iran := []basemapArea{basemapAreas(t, d)["Iran"]}
	for _, tt := range []struct{ layer, feature string }{
		{"corridors", "zangezur-corridor-tripp"},
		{"corridors-context", "horadiz-aghband-railway"},
		{"corridors-context", "nakhchivan-railway"},
	} {
		f := feature(t, d, tt.layer, tt.feature)
		for _, ls := range lines(f.Geometry) {
			for i := range ls {
				pts := []orb.Point{ls[i]}
				if i > 0 {
					pts = append(pts, between(ls[i-1], ls[i], 50)...)
				}
				for _, p := range pts {
					if m := metresOutside(p, iran); m < 100 {
						t.Errorf("%s: %v (by vertex %d) lies %.0f m from Iran", tt.feature, p, i, m)
					}
				}
			}
		}
	}
}

// TestCountryAreasHaveNoUncoveredHoles: a hole in a country area is an
// enclave of another country area. Kazakhstan once kept Natural Earth's
// hole for the Baikonur lease, which the map drew as a pale disc of bare
// basemap inside it; the gazetteer (B08) gives Kazakhstan with Baikonur.
func TestCountryAreasHaveNoUncoveredHoles(t *testing.T) {
	d := dataset(t)
	areas := d.Features["countries"]
	if len(areas) == 0 {
		t.Fatal("no countries layer")
	}
	polygons := func(g orb.Geometry) orb.MultiPolygon {
		switch g := g.(type) {
		case orb.Polygon:
			return orb.MultiPolygon{g}
		case orb.MultiPolygon:
			return g
		}
		return nil
	}
	for _, f := range areas {
		for _, p := range polygons(f.Geometry) {
			for _, hole := range p[1:] {
				at, ok := geo.LabelPoint(orb.Polygon{hole})
				if !ok {
					t.Errorf("%s: no point inside a hole of %d vertices", f.ID, len(hole))
					continue
				}
				covered := false
				for _, g := range areas {
					covered = covered || (g.ID != f.ID && planar.MultiPolygonContains(polygons(g.Geometry), at))
				}
				if !covered {
					t.Errorf("%s: the hole around %v is no other country's area", f.ID, at)
				}
			}
		}
	}
}

// The country areas do not end where the basemap's 1:10m extent does
// (26–76°E, 34–50°N): a country that goes on past it goes on in the
// countries layer too, so no area has a long edge on one of the box's
// lines, where its tint stopped in a straight line (Russia and Kazakhstan
// at 50°N, Iran at 34°N, Ukraine at 26°E, Kyrgyzstan at 76°E).
func TestCountryAreasNotCutAtTheExtent(t *testing.T) {
	d := dataset(t)
	const longest = 0.5 // degrees along a box line: a border may touch one, not follow it
	checked := 0
	for _, f := range d.Features["countries"] {
		for _, poly := range geo.RegionOf(f.Geometry) {
			for _, ring := range poly {
				checked++
				edgesOnTheBox(t, f.ID, orb.LineString(ring), longest)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the countries layer has no rings to check")
	}
}

// edgesOnTheBox reports each edge of ls longer than longest degrees that
// lies on one of the 1:10m extent's lines.
func edgesOnTheBox(t *testing.T, id string, ls orb.LineString, longest float64) {
	t.Helper()
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		for _, lat := range []float64{34, 50} {
			if a[1] == lat && b[1] == lat && math.Abs(a[0]-b[0]) > longest {
				t.Errorf("countries/%s: an edge of %.2f° along %g°N, from %v to %v", id, math.Abs(a[0]-b[0]), lat, a, b)
			}
		}
		for _, lon := range []float64{26, 76} {
			if a[0] == lon && b[0] == lon && math.Abs(a[1]-b[1]) > longest {
				t.Errorf("countries/%s: an edge of %.2f° along %g°E, from %v to %v", id, math.Abs(a[1]-b[1]), lon, a, b)
			}
		}
	}
}
