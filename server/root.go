package server

import (
	"io/fs"
	"mime"
	"net/url"
	"path"

	"github.com/gofiber/fiber/v2"
)

// handleRoot serves the map to browsers and the API landing page to
// everything else, so a QGIS user can paste just the server's address.
func (s *Server) handleRoot(c *fiber.Ctx) error {
	if err := allowParams(c, append([]string{"f"}, flagNames...)...); err != nil {
		return err
	}
	f, err := format(c)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	switch {
	case f == formatHTML && c.Query("f") == "html":
		return s.renderHTML(c, "landing", htmlPage{Title: "citemap API", Data: s.landing(base)})
	case f == formatHTML && s.cfg.Assets != nil:
		q, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString()))
		q.Del("f")
		flags, err := s.parseFlags(c, q, 1200, 630)
		if err != nil {
			return err
		}
		s.preloadMapData(c, flags.Version)
		return s.sendApp(c, flags, false)
	}
	return c.JSON(s.landing(base))
}

// contentType names a file's media type; Go's table lacks the web fonts.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	case ".mjs":
		return "text/javascript; charset=utf-8"
	case ".pbf":
		return "application/x-protobuf"
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// handleFavicon answers the request every browser makes: the map's icon when
// the front end has one, else an empty answer rather than an error.
func (s *Server) handleFavicon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	if s.cfg.Assets != nil {
		if m, _ := fs.Glob(s.cfg.Assets, "assets/favicon*.svg"); len(m) > 0 {
			if b, err := fs.ReadFile(s.cfg.Assets, m[0]); err == nil {
				c.Set(fiber.HeaderContentType, "image/svg+xml")
				return c.Send(b)
			}
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}
