package server

import (
	"net/url"
	"strings"
	"testing"
)

// extremes are the numbers a numeric parameter is swept with: the ends of
// int64 and just past them, the float specials, and forms strconv refuses.
var extremes = []string{
	"0", "-1", "1",
	"2147483647", "2147483648", "-2147483649",
	"9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809",
	"99999999999999999999999999999999",
	"1e308", "1e309", "-1e309", "NaN", "Inf", "-Inf", "+Inf",
	"0x10", "1.5", "1_000", "+1", " 1", "",
}

// numericInputs are every numeric input the server reads, as a request with
// one %s and the parameter name a problem must mention.
var numericInputs = []struct{ target, name string }{
	{"/collections/bases/items?limit=%s", "limit"},
	{"/collections/bases/items?offset=%s", "offset"},
	{"/collections/bases/items?limit=10000&offset=%s", "offset"},
	{"/collections/bases/items?bbox=%s,0,1,1", "bbox"},
	{"/collections/bases/items?bbox=0,0,%s,1", "bbox"},
	{"/collections/bases/items?datetime=%s-01-01T00:00:00Z", "datetime"},
	{"/collections/bases/items?v=%s", "v"},
	{"/collections/bases/items/%s", "feature"},
	{"/collections/bases?v=%s", "v"},
	{"/collections?v=%s", "v"},
	{"/layers/bases.geojson?v=%s", "v"},
	{"/layers/bases.csv?v=%s", "v"},
	{"/sources?v=%s", "v"},
	{"/passages?v=%s", "v"},
	{"/tiles/bases.json?v=%s", "v"},
	{"/tiles/bases/%s/0/0.mvt", "z"},
	{"/tiles/bases/1/%s/0.mvt", "x"},
	{"/tiles/bases/1/0/%s.mvt", "y"},
	{"/tiles/bases/0/0/0.mvt?v=%s", "v"},
	{"/annotations?page=%s", "page"},
	{"/embed?width=%s", "width"},
	{"/embed?height=%s", "height"},
	{"/embed?v=%s", "v"},
	{"/embed?view=%s/40/45", "view"},
	{"/embed?view=5/%s/45", "view"},
	{"/embed?view=5/40/%s", "view"},
	{"/embed?bbox=%s,40,46,41", "bbox"},
	{"/embed?date=%s-01-01", "date"},
	{"/static/map.png?width=%s", "width"},
	{"/static/map.png?height=%s", "height"},
	{"/static/map.svg?v=%s", "v"},
	{"/static/map.svg?view=%s/40/45", "view"},
	{"/static/map.svg?bbox=44,40,%s,41", "bbox"},
	{"/oembed?url=http%%3A%%2F%%2Fexample.com%%2Fembed&maxwidth=%s", "maxwidth"},
	{"/oembed?url=http%%3A%%2F%%2Fexample.com%%2Fembed&maxheight=%s", "maxheight"},
	{"/oembed?url=http%%3A%%2F%%2Fexample.com%%2Fembed%%3Fv%%3D%s", "v"},
}

// TestNumericExtremes sweeps every numeric input at its extremes and past
// them: each answer is a success or a 4xx problem naming the parameter,
// never a 5xx, and the server answers afterwards.
func TestNumericExtremes(t *testing.T) {
	s := newServer(t)
	ran := 0
	for _, in := range numericInputs {
		for _, v := range extremes {
			target := strings.Replace(in.target, "%s", url.PathEscape(v), 1)
			target = strings.ReplaceAll(target, "%%", "%")
			if strings.Contains(in.target, "?") && strings.Index(in.target, "%s") > strings.Index(in.target, "?") {
				target = strings.Replace(strings.ReplaceAll(in.target, "%%", "%"), "%s", url.QueryEscape(v), 1)
			}
			if v == "" && !strings.Contains(in.target, "?") {
				ran++ // an empty path segment is another route
				continue
			}
			res, b := do(t, s, "GET", target)
			ran++
			if testing.Verbose() {
				t.Logf("%s -> %d %.160s", target, res.StatusCode, b)
			}
			switch {
			case res.StatusCode >= 500:
				t.Errorf("%s: %d %s", target, res.StatusCode, b)
			case res.StatusCode >= 400:
				if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("%s: %d with content type %q", target, res.StatusCode, ct)
					continue
				}
				p := decode(t, b)
				detail, _ := p["detail"].(string)
				want := in.name + "="
				switch in.name {
				case "feature":
					want = `feature "`
				case "bbox", "datetime", "view", "date":
					want = in.name // their parsers name the part that is wrong
				}
				if !strings.Contains(detail, want) {
					t.Errorf("%s: %d problem does not name %q: %s", target, res.StatusCode, in.name, detail)
				}
			}
		}
	}
	if ran != len(numericInputs)*len(extremes) {
		t.Fatalf("ran %d requests, want %d", ran, len(numericInputs)*len(extremes))
	}
	if res, _ := do(t, s, "GET", "/healthz"); res.StatusCode != 200 {
		t.Error("healthz failed after the sweep")
	}
}
