package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/valyala/fasthttp"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

// benchServer serves one uncited layer of n synthetic points.
func benchServer(b *testing.B, n int) *Server {
	b.Helper()
	store, err := bolt.Open(filepath.Join(b.TempDir(), "b.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	feats := func(yield func(layers.Feature, error) bool) {
		for i := 0; i < n; i++ {
			// A deterministic spread over the Caucasus.
			lon := 38 + float64((i*7919)%12000)/1000
			lat := 38 + float64((i*104729)%6000)/1000
			f := layers.Feature{ID: "f" + strconv.Itoa(i), Geometry: orb.Point{lon, lat},
				Properties: map[string]any{"name": "feature " + strconv.Itoa(i), "status": "synthetic"}}
			if !yield(f, nil) {
				return
			}
		}
	}
	imp := &layers.Import{Layers: []layers.LayerImport{{File: "synthetic", Features: feats,
		Layer: func() layers.Layer { return layers.Layer{ID: "synthetic", Kind: layers.KindOther, Plain: true} }}}}
	if _, err := store.Import(context.Background(), imp, nil); err != nil {
		b.Fatal(err)
	}
	s, err := New(store, Config{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchGet(b *testing.B, s *Server, target string, headers ...string) {
	b.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.App().Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("%s: %v %v", target, res.StatusCode, err)
	}
	res.Body.Close()
}

func BenchmarkLayerDownloadGzip(b *testing.B) {
	s := benchServer(b, 21500)
	benchGet(b, s, "/layers/synthetic.geojson", "Accept-Encoding", "gzip")
	for b.Loop() {
		benchGet(b, s, "/layers/synthetic.geojson", "Accept-Encoding", "gzip")
	}
}

func BenchmarkItemsBBox(b *testing.B) {
	s := benchServer(b, 21500)
	// ~100 of 21500 points spread over 12x6 degrees: a 0.58-degree square.
	for b.Loop() {
		benchGet(b, s, "/collections/synthetic/items?bbox=44,41,44.58,41.58&limit=1000")
	}
}

func BenchmarkItem(b *testing.B) {
	s := benchServer(b, 21500)
	for b.Loop() {
		benchGet(b, s, "/collections/synthetic/items/f12345")
	}
}

func BenchmarkTileUncached(b *testing.B) {
	s := benchServer(b, 100000)
	benchGet(b, s, "/tiles/synthetic/0/0/0.mvt") // builds the snapshot
	t := maptile.At(orb.Point{44, 41}, 6)
	i := 0
	for b.Loop() {
		s.tiles = newLRU[*body](tileCacheSize) // every request misses
		benchGet(b, s, fmt.Sprintf("/tiles/synthetic/6/%d/%d.mvt", t.X+uint32(i%2), t.Y))
		i++
	}
}

func BenchmarkTileCached(b *testing.B) {
	s := benchServer(b, 100000)
	t := maptile.At(orb.Point{44, 41}, 6)
	target := fmt.Sprintf("/tiles/synthetic/6/%d/%d.mvt", t.X, t.Y)
	benchGet(b, s, target)
	for b.Loop() {
		benchGet(b, s, target, "Accept-Encoding", "gzip")
	}
}

// BenchmarkTileCachedHandler is the server's own work for a cached tile,
// without a connection: what is left of it beside nginx's sendfile.
func BenchmarkTileCachedHandler(b *testing.B) {
	s := benchServer(b, 21500)
	t := maptile.At(orb.Point{44, 41}, 8)
	target := fmt.Sprintf("/tiles/synthetic/8/%d/%d.mvt", t.X, t.Y)
	benchGet(b, s, target, "Accept-Encoding", "gzip")
	h := s.App().Server().Handler // the hot path first, as a connection is served
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI(target)
		ctx.Request.Header.Set("Accept-Encoding", "gzip")
		h(&ctx)
		if ctx.Response.StatusCode() != 200 || len(ctx.Response.Body()) == 0 {
			b.Fatalf("%d", ctx.Response.StatusCode())
		}
	}
}

// BenchmarkPicture draws the whole synthetic layer's picture, each at a
// width of its own so the picture cache never answers.
func BenchmarkPicture(b *testing.B) {
	for _, n := range []int{2_000, 20_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := benchServer(b, n)
			for i := 0; b.Loop(); i++ {
				benchGet(b, s, fmt.Sprintf("/static/map.png?layers=synthetic&width=%d&height=630", 600+i%1000))
			}
		})
	}
}
