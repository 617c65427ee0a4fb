package server

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

// handleRoot serves the map to browsers and the API landing page to
// everything else, so a QGIS user can paste just the server's address.
func (s *Server) handleRoot(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	if f == formatHTML && s.cfg.Assets != nil {
		b, err := fs.ReadFile(s.cfg.Assets, "index.html")
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(b)
	}
	base := s.baseURL(c)
	return c.JSON(fiber.Map{
		"title":       "citemap",
		"description": "Map layers of the South Caucasus and Central Asia, every feature cited to the source passages behind it.",
		"links": []link{
			{Href: base + "/?f=json", Rel: "self", Type: "application/json", Title: "This document"},
			{Href: base + "/collections?f=json", Rel: "data", Type: "application/json", Title: "Collections"},
			{Href: base + "/sources?f=json", Rel: "related", Type: "application/json", Title: "Sources"},
			{Href: base + "/annotations", Rel: "related", Type: "application/ld+json", Title: "Evidence as W3C Web Annotations"},
		},
	})
}

func (s *Server) handleAsset(c *fiber.Ctx) error {
	name := path.Clean("assets/" + c.Params("*"))
	if !strings.HasPrefix(name, "assets/") {
		return layers.Errorf(layers.ENOTFOUND, "no asset %q", c.Params("*"))
	}
	b, err := fs.ReadFile(s.cfg.Assets, name)
	if err != nil {
		return layers.Errorf(layers.ENOTFOUND, "no asset %q", c.Params("*"))
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		c.Set(fiber.HeaderContentType, ct)
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}
