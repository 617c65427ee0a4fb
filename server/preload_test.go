package server

import (
	"strings"
	"testing"
)

// The map page names the data the map fetches first, at the addresses the
// front end builds, and leaves out the layers it draws from tiles.
func TestMapPagePreloadsItsData(t *testing.T) {
	s, _ := searchServers(t)
	for _, tc := range []struct {
		target    string
		want, not []string
	}{
		{"/", []string{"</collections?f=json>", "</tiles/basemap.json>", "</layers/bases.geojson>", "</layers/zones.geojson>"},
			[]string{"synthetic", "basemap.geojson", "v="}},
		{"/?v=1", []string{"</collections?f=json&v=1>", "</tiles/basemap.json?v=1>", "</layers/bases.geojson?v=1>"}, []string{"synthetic"}},
	} {
		res, b := do(t, s, "GET", tc.target, "Accept", "text/html")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tc.target, res.StatusCode, b)
		}
		link := res.Header.Get("Link")
		for _, w := range tc.want {
			if !strings.Contains(link, w+"; rel=preload; as=fetch; crossorigin=anonymous") {
				t.Errorf("%s: Link %q lacks %s", tc.target, link, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(link, n) {
				t.Errorf("%s: Link %q names %s", tc.target, link, n)
			}
		}
	}
	// Not on the API's landing page.
	if res, _ := do(t, s, "GET", "/", "Accept", "application/json"); res.Header.Get("Link") != "" {
		t.Errorf("JSON landing page has Link %q", res.Header.Get("Link"))
	}
}
