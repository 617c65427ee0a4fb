package server

import (
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
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
	etag, etagGz string // as sendBody sets them
}

func newHotTiles(max int) *hotTiles {
	return &hotTiles{max: max, m: make(map[string]hotTile)}
}

// get is path's entry, when it was served for data version v.
func (h *hotTiles) get(path string, v int) (hotTile, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.version != v {
		return hotTile{}, false
	}
	t, ok := h.m[path]
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
	h.m[strings.Clone(path)] = hotTile{key: key, revision: revision, etag: `"` + revision + `"`, etagGz: `"` + revision + `-gz"`}
}

// cachedTile answers GET and HEAD of a tile already encoded for the
// current data version, plain or gzip, with what handleTile would send;
// anything else (a query string, another encoding, a miss) goes on to the
// full route.
func (s *Server) cachedTile(c *fiber.Ctx) error {
	path := c.Path()
	if !strings.HasPrefix(path, "/tiles/") {
		return c.Next()
	}
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		return c.Next()
	}
	req := &c.Request().Header
	if len(c.Request().URI().QueryString()) > 0 {
		return c.Next()
	}
	gz := false
	if ae := req.Peek(fiber.HeaderAcceptEncoding); len(ae) > 0 {
		// Only gzip is kept ready; other encodings are the compression
		// middleware's.
		if gz = acceptsGzip(c); !gz {
			return c.Next()
		}
	}
	v, err := s.store.Version(c.UserContext())
	if err != nil {
		return c.Next()
	}
	t, ok := s.hot.get(path, v)
	if !ok {
		return c.Next()
	}
	b, ok := s.tiles.get(t.key)
	if !ok {
		return c.Next()
	}
	s.setSecurityHeaders(c)
	h := &c.Response().Header
	h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	h.Set(fiber.HeaderCacheControl, "public, max-age=60, must-revalidate")
	if gz {
		h.Set(fiber.HeaderETag, t.etagGz)
	} else {
		h.Set(fiber.HeaderETag, t.etag)
	}
	if inm := req.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 && etagMatch(string(inm), t.revision) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	h.SetContentType(mimeMVT)
	if gz {
		h.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(b.gzip)
	}
	return c.Send(b.plain)
}

// sendTile sends tile b (key in Server.tiles) and, for a plain request of
// the current data version v, lets cachedTile answer the next ones.
func (s *Server) sendTile(c *fiber.Ctx, v int, key string, b *body) error {
	if v > 0 && len(c.Request().URI().QueryString()) == 0 {
		s.hot.put(c.Path(), v, key, b.revision)
	}
	return sendBody(c, b, mimeMVT)
}
