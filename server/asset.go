package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

// asset is a file of the built front end, with the compressed forms the
// build made beside it (name.br, name.gz; nil where it made none).
type asset struct {
	plain, br, gzip *assetFile
	contentType     string
}

// assetFile is one embedded file, read on its first request and kept. A
// reader's browser asks for a few of them (the brotli forms, the first
// view's glyphs): reading all of them at start held the 5 MB of the built
// front end twice, copied to the heap and its embedded pages touched, in a
// server whose idle budget is 60 MiB.
type assetFile struct {
	fsys fs.FS
	name string
	once sync.Once
	b    []byte
	err  error
}

// bytes returns the file's content, read once; a request then costs
// neither a copy out of the file system nor a compression (the app's script
// is 1.2 MB; the compression middleware took 30 ms of CPU to send it, on
// every first visit).
func (f *assetFile) bytes() ([]byte, error) {
	f.once.Do(func() {
		if f.b, f.err = fs.ReadFile(f.fsys, f.name); f.err != nil {
			f.err = fmt.Errorf("read asset %s: %w", f.name, f.err)
		}
	})
	return f.b, f.err
}

// loadAssets lists the front end's assets/ once, at start (they are
// embedded and never change while the server runs); each file is read on
// its first request.
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	out := map[string]*asset{}
	if fsys == nil {
		return out, nil
	}
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out[p] = &asset{plain: &assetFile{fsys: fsys, name: p}, contentType: contentType(p)}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // no assets/: the placeholder page
		return nil, fmt.Errorf("list the front end's assets: %w", err)
	}
	// The compressed forms join the file they compress (and stay servable
	// under their own names, for a static export that copies them all).
	for p, a := range out {
		if c := out[p+".br"]; c != nil {
			a.br = c.plain
		}
		if c := out[p+".gz"]; c != nil {
			a.gzip = c.plain
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
	f, encoding := a.plain, ""
	if a.br != nil || a.gzip != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		ae := c.Get(fiber.HeaderAcceptEncoding)
		switch {
		case a.br != nil && acceptsCoding(ae, "br"):
			f, encoding = a.br, "br"
		case a.gzip != nil && acceptsCoding(ae, "gzip"):
			f, encoding = a.gzip, "gzip"
		}
		// Neither form: the compression middleware may still find one the
		// client takes (deflate).
	}
	b, err := f.bytes()
	if err != nil {
		return err
	}
	if encoding != "" {
		c.Set(fiber.HeaderContentEncoding, encoding)
	}
	return c.Send(b)
}
