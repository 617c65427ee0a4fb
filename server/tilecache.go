package server

import (
	"bytes"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// hotTiles maps the exact path of a tile already served for a data version
// to its key in the tiles cache, so a repeated request for it is answered
// before the middleware that only uncached work needs (request deadline,
// token and method checks, compression), without parsing z/x/y or looking
// up the layer. The bodies stay owned (and bounded) by Server.tiles: an
// entry whose tile was evicted is a miss, answered by handleTile.
type hotTiles struct {
	mu      sync.RWMutex
	version int // the data version every entry was served for
	max     int
	m       map[string]hotTile
}

type hotTile struct {
	key          string // in Server.tiles
	revision     string
	etag, etagGz []byte // as sendBody sets them
}

func newHotTiles(max int) *hotTiles {
	return &hotTiles{max: max, m: make(map[string]hotTile)}
}

// get is path's entry, when it was served for data version v.
func (h *hotTiles) get(path []byte, v int) (hotTile, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.version != v {
		return hotTile{}, false
	}
	t, ok := h.m[string(path)]
	return t, ok
}

// put records that path answered with the tile under key at data version
// v. A new version (a publish) drops every entry: their layer revisions
// may have changed. Past max entries the map starts afresh (each entry is
// about a hundred bytes).
func (h *hotTiles) put(path string, v int, key, revision string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v != h.version || len(h.m) >= h.max {
		h.version = v
		h.m = make(map[string]hotTile)
	}
	h.m[strings.Clone(path)] = hotTile{key: key, revision: revision, etag: []byte(`"` + revision + `"`), etagGz: []byte(`"` + revision + `-gz"`)}
}

// hotTileHandler answers a request for a tile already encoded for the
// current data version (GET or HEAD, no query string, plain or gzip)
// with what handleTile would send, before Fiber sees it: no context from
// Fiber's pool, no route matching, none of the middleware that only
// uncached work needs (request deadline, token and method checks,
// compression), no z/x/y parse or layer lookup. It logs its own line.
// Anything else (a miss, another encoding, a query string) goes to next,
// the routes. nginx's rate for the same bytes is the bar.
func (s *Server) hotTileHandler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	hdr := s.tileHeaders()
	return func(ctx *fasthttp.RequestCtx) {
		if !s.serveHotTile(ctx, hdr) {
			next(ctx)
		}
	}
}

// serveHotTile answers ctx when it asks for a hot tile; false leaves ctx
// untouched.
func (s *Server) serveHotTile(ctx *fasthttp.RequestCtx, hdr [][2][]byte) bool {
	req := &ctx.Request
	if !ctx.IsGet() && !ctx.IsHead() {
		return false
	}
	// The request target as sent, not parsed: a hot entry is keyed by the
	// path of an earlier request that had no query string, so only the
	// same bytes can match it; anything else (a query, an absolute URI, a
	// percent-encoded variant) is a miss the routes answer.
	path := req.Header.RequestURI()
	if !bytes.HasPrefix(path, []byte("/tiles/")) || bytes.IndexByte(path, '?') >= 0 {
		return false
	}
	gz := false
	if ae := req.Header.Peek(fiber.HeaderAcceptEncoding); len(ae) > 0 {
		// Only gzip is kept ready; other encodings are the compression
		// middleware's. The usual value, gzip first without a q-value,
		// is decided without a copy.
		gz = bytes.Equal(ae, []byte("gzip")) || bytes.HasPrefix(ae, []byte("gzip,")) || acceptsCoding(string(ae), "gzip")
		if !gz {
			return false
		}
	}
	v, err := s.store.Version(ctx)
	if err != nil {
		return false
	}
	t, ok := s.hot.get(path, v)
	if !ok {
		return false
	}
	b, ok := s.tiles.get(t.key)
	if !ok {
		return false
	}
	res := &ctx.Response
	h := &res.Header
	for _, kv := range hdr {
		h.SetCanonical(kv[0], kv[1])
	}
	if gz {
		h.SetCanonical([]byte(fiber.HeaderETag), t.etagGz)
	} else {
		h.SetCanonical([]byte(fiber.HeaderETag), t.etag)
	}
	if inm := req.Header.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 && etagMatch(string(inm), t.revision) {
		// As Fiber's SendStatus: the status text is the body (never sent).
		res.SetStatusCode(fiber.StatusNotModified)
		res.SetBodyString("Not Modified")
	} else {
		h.SetContentType(mimeMVT)
		if gz {
			h.SetContentEncoding("gzip")
			res.SetBodyRaw(b.gzip)
		} else {
			res.SetBodyRaw(b.plain)
		}
	}
	now := time.Now()
	s.access.line(now, req.Header.Method(), path, res.StatusCode(), now.Sub(ctx.Time()), len(res.Body()))
	return true
}

// tileHeaders is what a hot tile's answer carries besides its ETag, type
// and encoding: the security headers, taken from setSecurityHeaders for a
// tile path so the two cannot drift apart, and sendBody's Vary and
// Cache-Control.
func (s *Server) tileHeaders() [][2][]byte {
	var fctx fasthttp.RequestCtx
	fctx.Request.SetRequestURI("/tiles/layer/0/0/0.mvt")
	c := s.app.AcquireCtx(&fctx)
	defer s.app.ReleaseCtx(c)
	s.setSecurityHeaders(c)
	h := &c.Response().Header
	h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	h.Set(fiber.HeaderCacheControl, "public, max-age=60, must-revalidate")
	var out [][2][]byte
	h.VisitAll(func(k, v []byte) {
		switch string(k) {
		case fiber.HeaderContentType, fiber.HeaderContentLength, fiber.HeaderDate, fiber.HeaderServer:
			return
		}
		out = append(out, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
	})
	return out
}

// sendTile sends tile b (key in Server.tiles) and, for a plain request of
// the current data version v, lets cachedTile answer the next ones.
func (s *Server) sendTile(c *fiber.Ctx, v int, key string, b *body) error {
	if v > 0 && len(c.Request().URI().QueryString()) == 0 {
		s.hot.put(c.Path(), v, key, b.revision)
	}
	return sendBody(c, b, mimeMVT)
}
