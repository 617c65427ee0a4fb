package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/citemap/citemap/layers"
)

func TestStaticMap(t *testing.T) {
	s := newServer(t)
	for _, size := range [][2]int{{600, 400}, {1280, 720}, {1200, 630}} {
		target := "/static/map.png?layers=bases,zones&bbox=42,39,46,42&feature=bases/gyumri-102nd-base&width=" + itoa(size[0]) + "&height=" + itoa(size[1])
		res, b := do(t, s, "GET", target)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("ETag") == "" {
			t.Fatalf("%s: %d %s", target, res.StatusCode, b)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if sz := img.Bounds().Size(); sz.X != size[0] || sz.Y != size[1] {
			t.Errorf("size %v", sz)
		}
		seen := map[uint32]bool{}
		for y := 0; y < size[1]; y += 5 {
			for x := 0; x < size[0]; x += 5 {
				r, g, b, _ := img.At(x, y).RGBA()
				seen[r<<16^g<<8^b] = true
			}
		}
		if len(seen) < 10 {
			t.Errorf("%v: %d colours, a blank picture", size, len(seen))
		}
	}
	res, b := do(t, s, "GET", "/static/map.svg?date=2025-07-10")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d", res.StatusCode)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG not well-formed: %v", err)
		}
	}
	if !strings.Contains(string(b), "1 source ·") {
		t.Errorf("svg lacks the sources line")
	}
}

// TestStaticMapFlags: legend=0 and theme=dark change the picture, and a
// feature of a layer not asked for is still drawn and named.
func TestStaticMapFlags(t *testing.T) {
	s := newServer(t)
	get := func(target string) []byte {
		res, b := do(t, s, "GET", target)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", target, res.StatusCode, b)
		}
		return b
	}
	base := "/static/map.png?width=600&height=400"
	plain := get(base)
	if bytes.Equal(plain, get(base+"&legend=0")) {
		t.Error("legend=0 draws the same picture")
	}
	if bytes.Equal(plain, get(base+"&theme=dark")) {
		t.Error("theme=dark draws the same picture")
	}
	svg := string(get("/static/map.svg?layers=zones&feature=bases/gyumri-102nd-base"))
	if !strings.Contains(svg, ">Russian 102nd Military Base,") {
		t.Errorf("the focused base of a layer not asked for is not labelled")
	}
}

func TestRenderFlagErrors(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		target, detail string
		status         int
	}{
		{"/static/map.png?layers=bases,atlantis", `"atlantis" is not a layer`, 400},
		{"/static/map.png?bbox=1,2,3", "bbox needs 4 numbers", 400},
		{"/static/map.png?width=1000000", "width=1000000 must be a whole number from 16 to 2400", 400},
		{"/static/map.png?height=-5", "height=-5", 400},
		{"/static/map.png?v=99", "data version 99 does not exist", 404},
		{"/static/map.png?view=40/1/1", "zoom", 400},
		{"/static/map.png?feature=bases", "layer/id", 400},
		{"/static/map.png?feature=bases/nope", `feature=bases/nope: layer bases has no feature "nope"`, 400},
		{"/static/map.png?feature=atlantis/x", `feature=atlantis/x: "atlantis" is not a layer`, 400},
		{"/static/map.png?bbox=170,10,-170,20", "bbox", 400},
		{"/static/map.png?bbox=40,40,40,42", "bbox must be a box with width and height", 400},
		{"/static/map.png?width=2401", "width=2401", 400},
		{"/static/map.svg?height=15", "height=15", 400},
		{"/static/map.png?date=July", "YYYY-MM-DD", 400},
		{"/static/map.png?theme=neon", "theme=neon", 400},
		{"/static/map.png?legend=2", "legend=2", 400},
		{"/static/map.png?sources=all", "sources=all", 400},
		{"/static/map.png?zoom=3", `unknown query parameter "zoom"`, 400},
		{"/static/map.gif", "map.png and map.svg", 404},
		{"/embed?layers=nope", `"nope" is not a layer`, 400},
		{"/embed?v=0", "v=0", 400},
		{"/oembed", "url is required", 400},
		{"/oembed?url=https://elsewhere.example/", "is not an address on example.com", 404},
		{"/oembed?url=http://example.com/collections", "not a citemap map", 404},
		{"/oembed?url=http://example.com/&format=xml", "not implemented", 501},
		{"/oembed?url=http://example.com/&maxwidth=0", "maxwidth=0", 400},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, b := do(t, s, "GET", tt.target)
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d: %s", res.StatusCode, res.Header.Get("Content-Type"), tt.status, b)
			}
			if d := decode(t, b)["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q, want %q", d, tt.detail)
			}
		})
	}
}

func TestOEmbed(t *testing.T) {
	s := newServer(t)
	page := "http://example.com/#map=7/40.5/44.5&layers=bases&feature=bases/gyumri-102nd-base"
	res, b := do(t, s, "GET", "/oembed?format=json&maxwidth=500&url="+url.QueryEscape(page))
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("oembed is not JSON: %v\n%s", err, b)
	}
	if o["type"] != "rich" || o["version"] != "1.0" || o["provider_name"] != "citemap" || o["cache_age"] == nil {
		t.Errorf("oembed = %s", b)
	}
	if o["width"] != 500.0 || o["height"] != 480.0 || o["thumbnail_width"] != 500.0 || o["thumbnail_height"] != 480.0 {
		t.Errorf("size %v x %v, thumbnail %v x %v", o["width"], o["height"], o["thumbnail_width"], o["thumbnail_height"])
	}
	html := o["html"].(string)
	for _, w := range []string{`<iframe src="http://example.com/embed?`, "feature=bases%2Fgyumri-102nd-base", "view=7%2F40.5000%2F44.5000", `width="500"`, `loading="lazy"`, "allowfullscreen", `title="Map: Russian 102nd Military Base, Gyumri"`} {
		if !strings.Contains(html, w) {
			t.Errorf("html lacks %q: %s", w, html)
		}
	}
	thumb, err := url.Parse(o["thumbnail_url"].(string))
	if err != nil {
		t.Fatalf("thumbnail_url: %v", err)
	}
	if res, _ := do(t, s, "GET", thumb.RequestURI()); res.StatusCode != 200 {
		t.Errorf("thumbnail %s: %d", thumb, res.StatusCode)
	}
	res, b = do(t, s, "GET", "/oembed?url="+url.QueryEscape("http://example.com/sources/s004"))
	if res.StatusCode != 200 || !strings.Contains(string(b), "Map of the places in") {
		t.Errorf("source oembed: %d %s", res.StatusCode, b)
	}
}

func TestEmbedAndAppPages(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/embed?layers=bases&feature=bases/gyumri-102nd-base")
	page := string(b)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors *") || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("embed: %d %v", res.StatusCode, res.Header)
	}
	for _, w := range []string{`type="application/json+oembed"`, `property="og:image" content="http://example.com/static/map.png?`, `name="twitter:card" content="summary_large_image"`, `name="citemap:mode" content="embed"`, "<title>map</title>"} {
		if !strings.Contains(page, w) {
			t.Errorf("embed page lacks %q", w)
		}
	}
	_, b = do(t, s, "GET", "/?layers=bases", "Accept", "text/html")
	if !strings.Contains(string(b), "application/json+oembed") || strings.Contains(string(b), "citemap:mode") {
		t.Errorf("map page tags wrong: %s", b)
	}
	_, b = do(t, s, "GET", "/sources/s004", "Accept", "text/html")
	if !strings.Contains(string(b), `/oembed?format=json&amp;url=http%3A%2F%2Fexample.com%2Fsources%2Fs004`) {
		t.Error("source page lacks oEmbed discovery")
	}
}

// v=N serves the layers as they were at version N.
func TestPinnedVersionOverHTTP(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	_, v1 := do(t, s, "GET", "/layers/bases.geojson")
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	d.Features["bases"][0].Properties["status"] = "changed"
	if _, err := s.store.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	_, latest := do(t, s, "GET", "/layers/bases.geojson")
	_, pinned := do(t, s, "GET", "/layers/bases.geojson?v=1")
	if bytes.Equal(latest, v1) || !bytes.Equal(pinned, v1) {
		t.Error("v=1 does not serve version 1, or the latest did not change")
	}
	_, item := do(t, s, "GET", "/collections/bases/items/gyumri-102nd-base?v=1")
	if !strings.Contains(string(item), `"status":"active"`) {
		t.Errorf("pinned item: %s", item)
	}
	if res, _ := do(t, s, "GET", "/collections/bases/items?v=7"); res.StatusCode != 404 {
		t.Errorf("v=7: %d", res.StatusCode)
	}
}

func TestDataVersionAndFavicon(t *testing.T) {
	s := newServer(t)
	_, b := do(t, s, "GET", "/collections?f=json")
	if decode(t, b)["data_version"] != 1.0 {
		t.Errorf("data_version: %s", b)
	}
	if res, _ := do(t, s, "GET", "/passages/p004-01?f=json&v=1"); res.StatusCode != 200 {
		t.Errorf("passage at v=1: %d", res.StatusCode)
	}
	if res, _ := do(t, s, "GET", "/sources?v=9"); res.StatusCode != 404 {
		t.Errorf("sources?v=9: %d, want 404", res.StatusCode)
	}
	if res, _ := do(t, s, "GET", "/favicon.ico"); res.StatusCode != 204 && res.StatusCode != 200 {
		t.Errorf("favicon: %d", res.StatusCode)
	}
	_, svg := do(t, s, "GET", "/static/map.svg")
	if strings.Contains(string(svg), "<style") {
		t.Error("the SVG carries a <style> element the CSP blocks")
	}
}
