package server

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/valyala/fasthttp"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

// A tile served once is answered again before the middleware, with the
// bytes and headers the full route sent; anything the fast path does not
// handle (another encoding, a pinned version, a new data version) still
// gets the full route's answer.
func TestCachedTile(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	tile := maptile.At(orb.Point{43.84635, 40.79305}, 8)
	target := "/tiles/bases/8/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
	v, err := s.store.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.hot.get([]byte(target), v); ok {
		t.Fatal("a tile never asked for is remembered")
	}
	for _, enc := range []string{"", "gzip", "gzip, deflate, br"} {
		first, b1 := do(t, s, "GET", target, "Accept-Encoding", enc)
		if first.StatusCode != 200 {
			t.Fatalf("%q: %d", enc, first.StatusCode)
		}
		ht, ok := s.hot.get([]byte(target), v)
		if !ok {
			t.Fatalf("%q: the tile served is not remembered", enc)
		}
		if _, ok := s.tiles.get(ht.key); !ok {
			t.Fatalf("%q: remembered under %q, which the tile cache does not hold", enc, ht.key)
		}
		again, b2 := do(t, s, "GET", target, "Accept-Encoding", enc)
		if again.StatusCode != 200 || !bytes.Equal(b1, b2) {
			t.Fatalf("%q: again %d, %d bytes, want 200 and the first %d bytes", enc, again.StatusCode, len(b2), len(b1))
		}
		sameHeaders(t, enc, first.Header, again.Header)
		// The second answer came from the hot path, before the routes.
		var fctx fasthttp.RequestCtx
		fctx.Request.SetRequestURI(target)
		if enc != "" {
			fctx.Request.Header.Set("Accept-Encoding", enc)
		}
		if !s.serveHotTile(&fctx, s.tileHeaders()) || !bytes.Equal(fctx.Response.Body(), b1) {
			t.Errorf("%q: the hot path does not answer with the first %d bytes (%d)", enc, len(b1), len(fctx.Response.Body()))
		}
		head, hb := do(t, s, "HEAD", target, "Accept-Encoding", enc)
		if head.StatusCode != 200 || len(hb) != 0 || head.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Errorf("%q: HEAD %d, %d bytes, ETag %q", enc, head.StatusCode, len(hb), head.Header.Get("ETag"))
		}
		nm, nb := do(t, s, "GET", target, "Accept-Encoding", enc, "If-None-Match", first.Header.Get("ETag"))
		if nm.StatusCode != 304 || len(nb) != 0 || nm.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Errorf("%q: If-None-Match: %d, %d bytes, ETag %q", enc, nm.StatusCode, len(nb), nm.Header.Get("ETag"))
		}
		if nm, _ := do(t, s, "GET", target, "Accept-Encoding", enc, "If-None-Match", `"other"`); nm.StatusCode != 200 {
			t.Errorf("%q: If-None-Match of another tag: %d", enc, nm.StatusCode)
		}
	}
	var miss fasthttp.RequestCtx
	miss.Request.SetRequestURI("/tiles/bases/8/0/0.mvt")
	if s.serveHotTile(&miss, s.tileHeaders()) || len(miss.Response.Body()) != 0 {
		t.Error("the hot path answers a tile never served")
	}
	for _, ae := range []string{"gzip;q=0", "gzipx", "br, gzip;q=0"} {
		var no fasthttp.RequestCtx
		no.Request.SetRequestURI(target)
		no.Request.Header.Set("Accept-Encoding", ae)
		if s.serveHotTile(&no, s.tileHeaders()) {
			t.Errorf("Accept-Encoding %q: answered by the hot path (gzip or plain would both be wrong)", ae)
		}
	}
	if res, b := do(t, s, "GET", target, "Accept-Encoding", "br"); res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "br" || len(b) == 0 {
		t.Errorf("br only: %d %q: the compression middleware should answer", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	for _, bad := range []struct{ method, target string }{
		{"POST", target},
		{"GET", target + "?z=1"},
		{"GET", target + "?access_token=x"},
	} {
		if res, _ := do(t, s, bad.method, bad.target); res.StatusCode < 400 {
			t.Errorf("%s %s: %d, want the full route's refusal", bad.method, bad.target, res.StatusCode)
		}
	}

	// A pinned version is served by the full route and not remembered.
	pinned := target + "?v=" + itoa(v)
	if res, _ := do(t, s, "GET", pinned); res.StatusCode != 200 {
		t.Fatalf("%s: %d", pinned, res.StatusCode)
	}
	if _, ok := s.hot.get([]byte(pinned), v); ok {
		t.Error("a pinned tile is remembered")
	}

	// A new data version: nothing remembered answers until the full route
	// has served the tile of that version.
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.(*bolt.Store).Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.store.Version(ctx)
	if v2 == v {
		t.Fatalf("the import made no new version (%d)", v)
	}
	if _, ok := s.hot.get([]byte(target), v2); ok {
		t.Fatal("a tile of the old version is remembered for the new one")
	}
	if res, _ := do(t, s, "GET", target, "Accept-Encoding", "gzip"); res.StatusCode != 200 {
		t.Fatalf("after the import: %d", res.StatusCode)
	}
	if _, ok := s.hot.get([]byte(target), v2); !ok {
		t.Error("the tile of the new version is not remembered")
	}
}

func sameHeaders(t *testing.T, what string, want, got http.Header) {
	t.Helper()
	for k := range want {
		if k == "Date" {
			continue
		}
		if w, g := want.Values(k), got.Values(k); len(w) != len(g) || (len(w) > 0 && w[0] != g[0]) {
			t.Errorf("%q: %s = %q, the full route sent %q", what, k, g, w)
		}
	}
	for k := range got {
		if want.Get(k) == "" && k != "Date" {
			t.Errorf("%q: %s = %q, which the full route did not send", what, k, got.Get(k))
		}
	}
}

func TestHotTilesBounded(t *testing.T) {
	h := newHotTiles(2)
	h.put("/a", 1, "ka", "r")
	h.put("/b", 1, "kb", "r")
	if _, ok := h.get([]byte("/a"), 1); !ok {
		t.Fatal("/a forgotten")
	}
	h.put("/c", 1, "kc", "r") // over max: starts afresh
	if _, ok := h.get([]byte("/a"), 1); ok || len(h.m) != 1 {
		t.Errorf("past max: %d entries", len(h.m))
	}
	h.put("/d", 2, "kd", "r")
	if _, ok := h.get([]byte("/c"), 2); ok {
		t.Error("an entry of version 1 answers for version 2")
	}
	if e, ok := h.get([]byte("/d"), 2); !ok || e.key != "kd" || string(e.etagGz) != `"r-gz"` {
		t.Errorf("/d = %+v, %v", e, ok)
	}
}
