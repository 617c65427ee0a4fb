package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/maptile/tilecover"

	"github.com/citemap/citemap/layers"
)

// SiteOptions says what ExportSite writes.
type SiteOptions struct {
	MaxZoom  int             // deepest tile zoom written
	Progress func(files int) // told as files are written
}

// ExportSite writes every public read resource as a file under dir, asking
// the server itself for each one so the files are byte for byte what it
// serves: the map, layer downloads, the tile pyramid to MaxZoom (tiles
// without features are left out), collections, items, sources and passages
// as JSON and HTML. The content type of every file is recorded in
// _headers (the format Netlify and Cloudflare Pages read) and
// content-types.json, for object stores that need it set on upload.
func (s *Server) ExportSite(ctx context.Context, dir string, opt SiteOptions) (int, error) {
	type resource struct{ url, file string }
	var res []resource
	add := func(url, file string) { res = append(res, resource{url, file}) }

	add("/", "index.html")
	add("/?f=json", "index.json")
	add("/conformance?f=json", "conformance.json")
	add("/api", "api.json")
	add("/collections?f=json", "collections.json")
	add("/collections?f=html", "collections.html")
	add("/sources?f=json", "sources.json")
	add("/sources?f=html", "sources.html")
	add("/passages?f=json", "passages.json")
	add("/passages.csv", "passages.csv")
	add("/annotations", "annotations.json")
	if s.cfg.Assets != nil {
		fs.WalkDir(s.cfg.Assets, "assets", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				add("/"+p, p)
			}
			return nil
		})
	}
	fs.WalkDir(uiFiles, "ui", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			add("/"+p, p)
		}
		return nil
	})

	all, err := s.store.Layers(ctx)
	if err != nil {
		return 0, err
	}
	for _, l := range all {
		add("/layers/"+l.ID+".geojson", "layers/"+l.ID+".geojson")
		if l.Kind == layers.KindBasemap {
			continue
		}
		add("/layers/"+l.ID+".gpkg", "layers/"+l.ID+".gpkg")
		add("/layers/"+l.ID+".csv", "layers/"+l.ID+".csv")
		for _, ext := range []string{".qml", ".sld", ".qgz"} { // the QGIS style and project the downloads link to
			add("/layers/"+l.ID+ext, "layers/"+l.ID+ext)
		}
		add("/collections/"+l.ID+"?f=json", "collections/"+l.ID+".json")
		add("/collections/"+l.ID+"?f=html", "collections/"+l.ID+".html")
		add("/tiles/"+l.ID+".json", "tiles/"+l.ID+".json")
		feats, err := s.store.Features(ctx, l.ID)
		if err != nil {
			return 0, err
		}
		for _, f := range feats {
			add("/collections/"+l.ID+"/items/"+f.ID+"?f=json", "collections/"+l.ID+"/items/"+f.ID+".json")
			add("/collections/"+l.ID+"/items/"+f.ID+"?f=html", "collections/"+l.ID+"/items/"+f.ID+".html")
		}
		for z := 0; z <= opt.MaxZoom; z++ {
			for t := range tilecover.Bound(l.Bound, maptile.Zoom(z)) {
				p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l.ID, t.Z, t.X, t.Y)
				add(p, strings.TrimPrefix(p, "/"))
			}
		}
	}
	srcs, err := s.store.Sources(ctx)
	if err != nil {
		return 0, err
	}
	for _, src := range srcs {
		add("/sources/"+src.ID+"?f=html", "sources/"+src.ID+"/index.html")
		add("/sources/"+src.ID+"?f=json", "sources/"+src.ID+".json")
	}
	ps, err := s.store.Passages(ctx, "")
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		add("/passages/"+p.ID+"?f=json", "passages/"+p.ID+".json")
	}

	types := map[string]string{}
	written := 0
	for _, r := range res {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		req := httptest.NewRequest(http.MethodGet, r.url, nil)
		if strings.HasSuffix(r.file, ".html") {
			req.Header.Set("Accept", "text/html")
		}
		if s.cfg.BaseURL == "" {
			req.Host = "localhost"
		}
		resp, err := s.app.Test(req, -1)
		if err != nil {
			return written, fmt.Errorf("GET %s: %w", r.url, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return written, fmt.Errorf("GET %s: %w", r.url, err)
		}
		if resp.StatusCode != http.StatusOK {
			return written, fmt.Errorf("GET %s: status %d: %s", r.url, resp.StatusCode, body)
		}
		if strings.HasSuffix(r.file, ".mvt") && len(body) == 0 {
			continue // an empty tile: clients treat a missing one the same
		}
		target := filepath.Join(dir, filepath.FromSlash(r.file))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(target, body, 0o644); err != nil {
			return written, err
		}
		types["/"+r.file] = resp.Header.Get("Content-Type")
		written++
		if opt.Progress != nil {
			opt.Progress(written)
		}
	}
	return written, writeManifests(dir, types)
}

func writeManifests(dir string, types map[string]string) error {
	paths := make([]string, 0, len(types))
	for p := range types {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var h strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&h, "%s\n  Content-Type: %s\n", p, types[p])
		if path.Ext(p) == ".geojson" || path.Ext(p) == ".gpkg" || path.Ext(p) == ".csv" {
			fmt.Fprintf(&h, "  Content-Disposition: attachment; filename=%q\n", path.Base(p))
		}
		h.WriteString("  Access-Control-Allow-Origin: *\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "_headers"), []byte(h.String()), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(types, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "content-types.json"), b, 0o644)
}
