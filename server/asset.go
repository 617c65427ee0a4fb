package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

// asset is a file of the built front end, with the compressed forms the
// build made beside it (name.br, name.gz; nil where it made none).
type asset struct {
	plain, br, gzip []byte
	contentType     string
}

// loadAssets reads the front end's assets/ once, at start: they are
// embedded and never change while the server runs, and a request then
// costs neither a copy out of the file system nor a compression (the app's
// script is 1.2 MB; the compression middleware took 30 ms of CPU to send
// it, on every first visit).
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	out := map[string]*asset{}
	if fsys == nil {
		return out, nil
	}
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		a := out[p]
		if a == nil {
			a = &asset{}
			out[p] = a
		}
		a.plain, a.contentType = b, contentType(p)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // no assets/: the placeholder page
		return nil, fmt.Errorf("read the front end's assets: %w", err)
	}
	// The compressed forms join the file they compress (and stay servable
	// under their own names, for a static export that copies them all).
	for p, a := range out {
		for _, enc := range []struct {
			ext string
			dst *[]byte
		}{{".br", &a.br}, {".gz", &a.gzip}} {
			if c := out[p+enc.ext]; c != nil {
				*enc.dst = c.plain
			}
		}
	}
	return out, nil
}

// handleAsset serves a built file, in the best encoding the client takes
// that the build made (brotli, then gzip). Their names carry a hash of
// their content (all but embed.js, which host pages name), so a browser
// may keep them for good.
func (s *Server) handleAsset(c *fiber.Ctx) error {
	// Escaped in the URL, plain in the file names: the glyph files sit in
	// folders named by their font stack ("Noto Sans Regular").
	p, err := url.PathUnescape(c.Params("*"))
	if err != nil {
		return layers.Errorf(layers.ENOTFOUND, "no asset %q", c.Params("*"))
	}
	name := path.Clean("assets/" + p)
	a := s.assets[name] // every key starts with assets/: a path leaving it finds nothing
	if a == nil {
		return layers.Errorf(layers.ENOTFOUND, "no asset %q", c.Params("*"))
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	if name == "assets/embed.js" {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	}
	if a.br == nil && a.gzip == nil {
		return c.Send(a.plain)
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	ae := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case a.br != nil && acceptsCoding(ae, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(a.br)
	case a.gzip != nil && acceptsCoding(ae, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gzip)
	}
	// Neither form: the compression middleware may still find one the
	// client takes (deflate).
	return c.Send(a.plain)
}
