package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

func TestTiles(t *testing.T) {
	s := newServer(t)
	tile := maptile.At(orb.Point{43.84635, 40.79305}, 8)
	target := "/tiles/bases/8/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
	res, b := do(t, s, "GET", target)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != mimeMVT || res.Header.Get("ETag") == "" {
		t.Fatalf("%s: %d %v", target, res.StatusCode, res.Header)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil || len(ls) != 1 || len(ls[0].Features) != 1 || ls[0].Features[0].Properties["id"] != "gyumri-102nd-base" {
		t.Fatalf("tile = %+v, %v", ls, err)
	}
	if s.tiles.len() != 1 {
		t.Errorf("%d tiles cached", s.tiles.len())
	}
	res, gz := do(t, s, "GET", target, "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip tile: %v %v", res.Header, err)
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, b) {
		t.Error("gzip tile differs")
	}
	if res, _ := do(t, s, "GET", target, "If-None-Match", res.Header.Get("ETag")); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	for _, bad := range []struct {
		target string
		status int
		detail string
	}{
		{"/tiles/bases/8/0/0.png", 404, "no tile 8/0/0.png"},
		{"/tiles/nope/0/0/0.mvt", 404, "does not exist"},
		{"/tiles/basemap/0/0/0.mvt", 404, "does not exist"},
		{"/tiles/bases/99/0/0.mvt", 400, "z=99 must be a whole number from 0 to 16"},
		{"/tiles/bases/2/9/0.mvt", 400, "x=9 must be a whole number from 0 to 3"},
		{"/tiles/bases/2/0/4.mvt", 400, "y=4 must be a whole number from 0 to 3"},
		{"/tiles/bases/x/0/0.mvt", 400, "z=x must be"},
	} {
		res, b := do(t, s, "GET", bad.target)
		if res.StatusCode != bad.status || !strings.Contains(string(b), bad.detail) {
			t.Errorf("%s: %d %s, want %d with %q", bad.target, res.StatusCode, b, bad.status, bad.detail)
		}
	}
}

func TestTileJSON(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/tiles/bases.json")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var tj struct {
		TileJSON     string
		Tiles        []string
		Bounds       []float64
		VectorLayers []struct{ ID string } `json:"vector_layers"`
	}
	if err := json.Unmarshal(b, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || !strings.HasSuffix(tj.Tiles[0], "/tiles/bases/{z}/{x}/{y}.mvt") || len(tj.Bounds) != 4 || tj.VectorLayers[0].ID != "bases" {
		t.Errorf("tilejson = %s", b)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
