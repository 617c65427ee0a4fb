package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

// handleLayerDownload serves /layers/{id}.geojson: the whole layer as one
// RFC 7946 FeatureCollection, encoded and gzipped once per layer revision.
func (s *Server) handleLayerDownload(c *fiber.Ctx) error {
	if err := allowParams(c); err != nil {
		return err
	}
	file := c.Params("file")
	id, ext, ok := strings.Cut(file, ".")
	if !ok || ext != "geojson" {
		return layers.Errorf(layers.ENOTFOUND, "no download %q: layers download as /layers/{id}.geojson", file)
	}
	ctx := c.UserContext()
	l, err := s.store.Layer(ctx, id)
	if err != nil {
		return err
	}
	b, err := s.bodies.get("geojson:"+l.ID, l.Revision, func() (*body, error) {
		plain, err := layers.EncodeLayer(ctx, s.store, l.ID)
		if err != nil {
			return nil, err
		}
		return compressed(plain)
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.geojson"`, l.ID))
	return sendBody(c, b, "application/geo+json")
}

// compressed returns a body with its gzip form computed.
func compressed(plain []byte) (*body, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(plain); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &body{plain: plain, gzip: buf.Bytes()}, nil
}

// sendBody writes a cached body with its ETag, answering 304 when the client
// has it and the gzip form when the client accepts it.
func sendBody(c *fiber.Ctx, b *body, contentType string) error {
	gz := acceptsGzip(c)
	etag := `"` + b.revision + `"`
	if gz {
		etag = `"` + b.revision + `-gz"`
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60, must-revalidate")
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, b.revision) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(b.gzip)
	}
	return c.Send(b.plain)
}

// etagMatch reports whether an If-None-Match header names either encoding
// of the revision (or is *).
func etagMatch(header, revision string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == `"`+revision+`"` || t == `"`+revision+`-gz"` {
			return true
		}
	}
	return false
}

func acceptsGzip(c *fiber.Ctx) bool {
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptEncoding), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if name = strings.TrimSpace(name); name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}
