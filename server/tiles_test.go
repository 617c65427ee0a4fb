package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/tiles"
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
		{"/tiles/basemap/0/0/0.mvt", 404, "does not exist"}, // the mini dataset has none
		{"/tiles/bases/17/0/0.mvt", 400, "z=17 must be a whole number from 0 to 16"},
		{"/tiles/bases/-1/0/0.mvt", 400, "z=-1 must be"},
		{"/tiles/bases/0/1/0.mvt", 400, "x=1 must be a whole number from 0 to 0"},
		{"/tiles/bases/3/0/-1.mvt", 400, "y=-1 must be"},
		{"/tiles/bases/0/0/0.mvt?z=1", 400, "z"},
		{"/tiles/bases/99/0/0.mvt", 400, "z=99 must be a whole number from 0 to 16"},
		{"/tiles/bases/2/9/0.mvt", 400, "x=9 must be a whole number from 0 to 3"},
		{"/tiles/bases/2/0/4.mvt", 400, "y=4 must be a whole number from 0 to 3"},
		{"/tiles/bases/x/0/0.mvt", 400, "z=x must be"},
	} {
		res, b := do(t, s, "GET", bad.target)
		if res.StatusCode != bad.status || !strings.Contains(string(b), bad.detail) ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
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

// newBundledServer serves the bundled dataset, basemap included.
func newBundledServer(t *testing.T) *Server {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(data.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The basemap is served as tiles: its areas, lines and towns with the
// properties the map's style reads, and a label layer of country names.
// Every tile of the region from z0 to z8 stays small, and a cached tile is
// served without the layer being prepared again.
func TestBasemapTiles(t *testing.T) {
	s := newBundledServer(t)
	largest, largestAt := 0, ""
	seen := map[string]bool{}
	for z := 0; z <= 8; z++ {
		lo := maptile.At(orb.Point{38, 44}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{50, 38}, maptile.Zoom(z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				target := fmt.Sprintf("/tiles/basemap/%d/%d/%d.mvt", z, x, y)
				res, b := do(t, s, "GET", target)
				if res.StatusCode != 200 {
					t.Fatalf("%s: %d %s", target, res.StatusCode, b)
				}
				if len(b) > largest {
					largest, largestAt = len(b), target
				}
				ls, err := mvt.Unmarshal(b)
				if err != nil {
					t.Fatalf("%s: %v", target, err)
				}
				for _, l := range ls {
					for _, f := range l.Features {
						switch {
						case l.Name == "labels" && f.Properties["_grid"] == nil:
							seen["country label "+fmt.Sprint(f.Properties["name"])] = true
						case l.Name == "basemap":
							seen[fmt.Sprint(f.Properties["role"])] = true
							if f.Properties["name"] == "Yerevan" && f.Properties["capital"] != nil && f.Properties["population"] != nil {
								seen["Yerevan"] = true
							}
						}
					}
				}
			}
		}
	}
	t.Logf("largest basemap tile z0..8 over the region: %s, %d bytes", largestAt, largest)
	if largest > tiles.MaxBytes {
		t.Errorf("%s weighs %d bytes, over %d", largestAt, largest, tiles.MaxBytes)
	}
	for _, want := range []string{"country", "land", "border", "place", "region", "Yerevan", "country label Armenia", "country label Georgia"} {
		if !seen[want] {
			t.Errorf("no %s in the basemap tiles (saw %v)", want, seen)
		}
	}
	// A cached tile needs neither the snapshot nor the tile set.
	s.snapshots = newLRU[*layers.Snapshot](1)
	s.tileSets = newLRU[*tiles.Set](1)
	if res, _ := do(t, s, "GET", "/tiles/basemap/5/19/11.mvt", "Accept-Encoding", "gzip"); res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("cached tile: %d %v", res.StatusCode, res.Header)
	}
	if s.snapshots.len() != 0 || s.tileSets.len() != 0 {
		t.Errorf("a cached tile prepared the layer again")
	}
	res, b := do(t, s, "GET", "/tiles/basemap.json")
	if res.StatusCode != 200 || !strings.Contains(string(b), `"id":"labels"`) || !strings.Contains(string(b), `"population":"Number"`) {
		t.Errorf("basemap TileJSON: %d %s", res.StatusCode, b)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// Warm builds the basemap's tile set, whose country names take about half a
// second to place, and the tiles at warmTileZoom of every layer the map
// draws from tiles, so the map's first tiles wait for neither. A layer the
// map downloads whole gets no tiles made, nor does another zoom.
func TestWarmPreparesTheMapsFirstTiles(t *testing.T) {
	s := newBundledServer(t)
	ctx := context.Background()
	basemap := mustLayer(t, s.store, "basemap")
	key := "basemap@" + basemap.Revision
	if _, ok := s.tileSets.get(key); ok {
		t.Fatal("the basemap's tile set exists before Warm")
	}
	// The bundled map's default view (zoom 4.25 at 48.09, 41.93: tiles
	// 9-11/5-6 at zoom 4) is made; a layer the map draws whole and the
	// zooms around it are not.
	warm := []string{"basemap/4/10/5", "basemap/4/9/6", "basemap/4/11/6", "countries/4/11/5", "countries/4/9/5"}
	cold := []string{"bases/4/10/5", "basemap/5/20/11", "basemap/3/5/2", "countries/0/0/0"}
	cached := func(tile string) bool {
		id, _, _ := strings.Cut(tile, "/")
		_, ok := s.tiles.get(tile + "@" + mustLayer(t, s.store, id).Revision)
		return ok
	}
	for _, tile := range append(warm, cold...) {
		if cached(tile) {
			t.Fatalf("tile %s is made before Warm", tile)
		}
	}
	if tiled, err := s.drawnFromTiles(ctx, s.store, mustLayer(t, s.store, "countries")); err != nil || !tiled {
		t.Fatalf("countries: drawn from tiles %v (%v); the test needs a tiled layer", tiled, err)
	}
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.tileSets.get(key); !ok {
		t.Error("Warm left out the basemap's tile set")
	}
	for _, tile := range warm {
		if !cached(tile) {
			t.Errorf("Warm left out tile %s", tile)
		}
	}
	for _, tile := range cold {
		if cached(tile) {
			t.Errorf("Warm made tile %s", tile)
		}
	}
	// A request for a warmed tile is answered from the cache.
	n := s.tiles.len()
	res, b := do(t, s, "GET", "/tiles/basemap/4/10/5.mvt")
	if res.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("warmed tile: %d, %d bytes", res.StatusCode, len(b))
	}
	if s.tiles.len() != n {
		t.Errorf("the request for a warmed tile made a tile: %d cached, %d before", s.tiles.len(), n)
	}
}
