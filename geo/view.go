package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// View is a map view as a web map states it: zoom, and the centre.
type View struct {
	Zoom, Lat, Lon float64
}

// ParseView parses "z/lat/lon", the form permalinks use.
func ParseView(s string) (View, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return View{}, fmt.Errorf("view must be zoom/lat/lon, got %q", s)
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return View{}, fmt.Errorf("view part %d (%q) is not a number", i+1, p)
		}
		v[i] = f
	}
	out := View{Zoom: v[0], Lat: v[1], Lon: v[2]}
	switch {
	case out.Zoom < 0 || out.Zoom > 22:
		return View{}, fmt.Errorf("view zoom %g is outside 0..22", out.Zoom)
	case out.Lat < -85 || out.Lat > 85:
		return View{}, fmt.Errorf("view latitude %g is outside -85..85", out.Lat)
	case out.Lon < -180 || out.Lon > 180:
		return View{}, fmt.Errorf("view longitude %g is outside -180..180", out.Lon)
	}
	return out, nil
}

// Bound is the lon/lat box a w x h pixel map shows at this view, with
// 512-pixel tiles as MapLibre uses them.
func (v View) Bound(w, h int) orb.Bound {
	c := project.WGS84.ToMercator(orb.Point{v.Lon, v.Lat})
	world := 2 * math.Pi * 6378137.0
	perPixel := world / (512 * math.Pow(2, v.Zoom))
	dx, dy := float64(w)/2*perPixel, float64(h)/2*perPixel
	lo := project.Mercator.ToWGS84(orb.Point{c[0] - dx, c[1] - dy})
	hi := project.Mercator.ToWGS84(orb.Point{c[0] + dx, c[1] + dy})
	clampLon := func(x float64) float64 { return math.Max(-180, math.Min(180, x)) }
	clampLat := func(x float64) float64 { return math.Max(-85, math.Min(85, x)) }
	return orb.Bound{Min: orb.Point{clampLon(lo[0]), clampLat(lo[1])}, Max: orb.Point{clampLon(hi[0]), clampLat(hi[1])}}
}

// String is the view as a permalink states it.
func (v View) String() string {
	return strconv.FormatFloat(v.Zoom, 'f', -1, 64) + "/" + strconv.FormatFloat(v.Lat, 'f', 4, 64) + "/" + strconv.FormatFloat(v.Lon, 'f', 4, 64)
}
