package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/pmtiles"
	"github.com/citemap/citemap/layers/tiles"
)

// SiteOptions says what ExportSite writes.
type SiteOptions struct {
	MaxZoom int  // deepest tile zoom written
	Replace bool // replace what the folder holds; without it only an empty or new folder is written
	// PageSize is how many features each exported items page holds; 0
	// means the server's default page.
	PageSize int
	// Progress is told as files are written.
	Progress func(files int)
}

// ErrNotEmpty is returned by ExportSite for a folder that holds files
// when SiteOptions.Replace is not set.
var ErrNotEmpty = errors.New("the folder is not empty")

// StaticMeta is the meta tag that tells the front end it is served from
// files: its content is the site's base path, and the front end asks for
// the exported file of each resource instead of the server's query URL.
const StaticMeta = "citemap:static"

// ExportSite writes the public site as files under dir, for a static host
// (plain nginx, an object store behind a CDN) serving it at the server's
// base URL. It asks the server itself for each resource, so the data files
// are byte for byte what it serves; each gets a path without a query
// string, since a static host ignores queries: the map page and the embed
// page (marked static), layer downloads, one PMTiles archive per layer
// (tiles/{layer}.pmtiles, read with range requests), collections, items,
// sources and passages as JSON and HTML, and static pictures of the map and
// of each feature. Links in the HTML pages are rewritten to the files.
// The OGC API's folders (collections/, a layer's items/, ...) also hold
// their document as index.json, for clients that build addresses without
// an extension (see folderIndexes).
//
// The site is built in a new folder beside dir and moved into place only
// when complete, so a failed export leaves dir as it was. The content type
// of every file is recorded in _headers (the format Netlify and Cloudflare
// Pages read) and content-types.json, for object stores that need it set on
// upload.
func (s *Server) ExportSite(ctx context.Context, dir string, opt SiteOptions) (int, error) {
	if s.cfg.BaseURL == "" {
		return 0, errors.New("export-site needs the base URL the site will be served from")
	}
	if opt.PageSize < 0 || opt.PageSize > limitMax {
		return 0, fmt.Errorf("page size %d is not within 1..%d", opt.PageSize, limitMax)
	}
	if opt.MaxZoom < 0 || opt.MaxZoom > 16 {
		return 0, fmt.Errorf("max zoom %d is not within 0..16", opt.MaxZoom)
	}
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return 0, fmt.Errorf("base URL %q is not an http(s) address without a query", s.cfg.BaseURL)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !opt.Replace {
		return 0, fmt.Errorf("%s: %w (it holds %d entries, %s first)", dir, ErrNotEmpty, len(entries), entries[0].Name())
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".export-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp) // gone once moved into place
	n, err := s.exportTo(ctx, tmp, strings.TrimSuffix(base.Path, "/")+"/", opt)
	if err != nil {
		return n, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return n, err
	}
	return n, swapIn(tmp, dir)
}

// swapIn moves the built folder to dir, replacing what dir held.
func swapIn(built, dir string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = built + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(built, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

type siteFile struct{ url, file string }

// folderIndexes are the copies of a file written as the index of the
// folder of the same address: OGC API clients ask for addresses without an
// extension (GDAL for {root}/collections, clients that build the items
// address by the standard for /collections/{id}/items), which a static
// host answers with the folder's index file. The index of an API folder
// is index.json, since GDAL and QGIS refuse a description served as HTML
// (the host lists index.json after index.html, as with nginx's
// "index index.html index.json;"); the reader's folders get index.html.
func folderIndexes(file string) []string {
	switch file {
	case "collections.json", "conformance.json", "api.json", "passages.json":
		return []string{strings.TrimSuffix(file, ".json") + "/index.json"}
	case "sources.html":
		return []string{"sources/index.html"}
	}
	if d, ok := strings.CutPrefix(file, "collections/"); ok && !strings.Contains(d, "/") && strings.HasSuffix(d, ".json") {
		return []string{"collections/" + strings.TrimSuffix(d, ".json") + "/index.json"} // the collection
	}
	for _, name := range []string{"/items.json", "/queryables.json"} {
		if strings.HasPrefix(file, "collections/") && strings.HasSuffix(file, name) && strings.Count(file, "/") == 2 {
			return []string{strings.TrimSuffix(file, ".json") + "/index.json"} // the first items page; the queryables
		}
	}
	return nil
}

// exportTo writes the site into dir; prefix is the base URL's path with
// a trailing slash.
func (s *Server) exportTo(ctx context.Context, dir, prefix string, opt SiteOptions) (int, error) {
	var res []siteFile
	add := func(url, file string) { res = append(res, siteFile{url, file}) }

	add("/", "index.html")
	if s.cfg.Assets != nil {
		add("/embed", "embed/index.html")
	}
	add("/?f=json", "index.json")
	add("/?f=html", "landing.html")
	add("/conformance?f=json", "conformance.json")
	add("/conformance?f=html", "conformance.html")
	add("/api", "api.json")
	add("/collections?f=json", "collections.json")
	add("/collections?f=html", "collections.html")
	add("/sources?f=json", "sources.json")
	add("/sources?f=html", "sources.html")
	add("/passages?f=json", "passages.json")
	add("/passages.csv", "passages.csv")
	add("/annotations", "annotations.json")
	add("/static/map.png", "static/map.png")
	if s.cfg.Assets != nil {
		fs.WalkDir(s.cfg.Assets, "assets", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				// Escaped: the glyph files' folders are font stacks, with spaces.
				add((&url.URL{Path: "/" + p}).EscapedPath(), p)
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

	version, err := s.store.Version(ctx)
	if err != nil {
		return 0, err
	}
	pageSize := opt.PageSize
	if pageSize == 0 {
		pageSize = limitDefault
	}
	all, err := s.store.Layers(ctx)
	if err != nil {
		return 0, err
	}
	var tiled []layers.Layer
	var searched []string // layers the map draws from tiles: it searches their names in files
	for _, l := range all {
		add("/layers/"+l.ID+".geojson", "layers/"+l.ID+".geojson")
		tiled = append(tiled, l)
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
		add("/collections/"+l.ID+"/queryables?f=json", "collections/"+l.ID+"/queryables.json")
		add("/collections/"+l.ID+"/queryables?f=html", "collections/"+l.ID+"/queryables.html")
		ids, err := s.featureIDs(ctx, l.ID)
		if err != nil {
			return 0, err
		}
		tiled, err := s.drawnFromTiles(ctx, s.store, l)
		if err != nil {
			return 0, err
		}
		if tiled {
			// Drawn from tiles: searched in files, and pictured by the
			// map's picture (one drawing per feature does not scale).
			searched = append(searched, l.ID)
		}
		// Every page of items, as the server pages them: each page's next
		// and prev links lead to the files of the pages beside it.
		for offset := 0; offset == 0 || offset < len(ids); offset += pageSize {
			for _, f := range []string{"json", "html"} {
				add(itemsPageURL(l.ID, f, offset, opt.PageSize), itemsPageFile(l.ID, f, offset))
			}
		}
		for _, id := range ids {
			item := "/collections/" + l.ID + "/items/" + id
			add(item+"?f=json", "collections/"+l.ID+"/items/"+id+".json")
			add(item+"?f=html", "collections/"+l.ID+"/items/"+id+".html")
			if !tiled {
				add("/static/map.png?"+url.Values{"feature": {l.ID + "/" + id}}.Encode(), staticPicture(l.ID+"/"+id))
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

	links := newLinkMap(s.cfg.BaseURL, prefix, res)
	// The server's pages leave the icon to /favicon.ico, which the server
	// answers; on a static host each page names the icon file instead.
	var icon []byte
	if s.cfg.Assets != nil {
		if m, _ := fs.Glob(s.cfg.Assets, "assets/favicon*.svg"); len(m) > 0 {
			icon = []byte(`<link rel="icon" href="` + html.EscapeString(prefix+m[0]) + `" type="image/svg+xml">` + "\n")
		}
	}
	types := map[string]string{}
	written := 0
	// put writes a file with what fill writes, and records its type.
	put := func(file, contentType string, fill func(io.Writer) error) error {
		target := filepath.Join(dir, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		err = fill(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		types["/"+file] = contentType
		written++
		if opt.Progress != nil {
			opt.Progress(written)
		}
		return nil
	}
	write := func(file string, body []byte, contentType string) error {
		return put(file, contentType, func(w io.Writer) error {
			_, err := w.Write(body)
			return err
		})
	}
	exported := make(map[string]bool, len(res))
	for _, r := range res {
		exported[r.file] = true
	}
	for _, r := range res {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		body, ct, err := s.get(r.url, strings.HasSuffix(r.file, ".html"))
		if err != nil {
			return written, err
		}
		if path.Ext(r.file) == ".json" {
			body = links.rewriteJSON(body)
		}
		if strings.HasSuffix(r.file, ".html") {
			// oEmbed discovery asks the server for an embed of the page: a
			// static host has no such endpoint.
			body = oembedLink.ReplaceAll(body, nil)
			body = links.rewriteHTML(body)
			if icon != nil && !bytes.Contains(body, []byte(`rel="icon"`)) {
				body = injectHead(body, icon)
			}
			if r.file == "index.html" || r.file == "embed/index.html" {
				body = staticPage(body, prefix, opt.MaxZoom, version, searched)
			} else {
				body = versionNote(body, version)
			}
		}
		if err := write(r.file, body, ct); err != nil {
			return written, err
		}
		for _, f := range folderIndexes(r.file) {
			if exported[f] {
				continue // a layer or feature named "index": its own file wins
			}
			if err := write(f, body, ct); err != nil {
				return written, err
			}
		}
	}
	for _, l := range tiled {
		if err := s.exportTiles(ctx, l, opt.MaxZoom, links.base+"/", filepath.Dir(dir), put); err != nil {
			return written, err
		}
	}
	for _, id := range searched {
		err := s.searchIndex(ctx, id, func(file string, body []byte) error {
			return write("search/"+id+"/"+file, body, "application/json")
		})
		if err != nil {
			return written, fmt.Errorf("search index of %s: %w", id, err)
		}
	}
	// The export is one data version: a publish while it ran would mix two.
	if now, err := s.store.Version(ctx); err != nil {
		return written, err
	} else if now != version {
		return written, fmt.Errorf("the data changed while the site was exported (version %d, now %d): export again", version, now)
	}
	return written, writeManifests(dir, types)
}

// featureIDs lists a layer's features in id order: from the store's
// attributes when it keeps an index (no geometry is read), else from the
// whole layer.
func (s *Server) featureIDs(ctx context.Context, layer string) ([]string, error) {
	if ix, ok := s.store.(layers.Indexed); ok {
		var ids []string
		err := ix.ReadIndex(ctx, layer, func(li layers.LayerIndex) error {
			return li.Attributes("", func(b layers.Body) bool {
				ids = append(ids, b.ID)
				return true
			})
		})
		if err != nil {
			return nil, fmt.Errorf("features of %s: %w", layer, err)
		}
		return ids, nil
	}
	feats, err := s.store.Features(ctx, layer)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(feats))
	for i, f := range feats {
		ids[i] = f.ID
	}
	return ids, nil
}

// itemsPageURL asks the server for the items page at offset, in format f,
// of pageSize features (0: the server's default page).
func itemsPageURL(layer, f string, offset, pageSize int) string {
	v := url.Values{"f": {f}}
	if pageSize > 0 && pageSize != limitDefault {
		v.Set("limit", strconv.Itoa(pageSize))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return "/collections/" + layer + "/items?" + v.Encode()
}

// itemsPageFile is the exported file of the items page at offset: the
// first page is items.json (or .html) beside the items folder, the next
// items.{offset}.json. A feature id never holds a dot, so no page can
// be taken for a feature.
func itemsPageFile(layer, f string, offset int) string {
	if offset == 0 {
		return "collections/" + layer + "/items." + f
	}
	return fmt.Sprintf("collections/%s/items.%d.%s", layer, offset, f)
}

// staticPicture is the exported file of a feature's picture.
func staticPicture(feature string) string {
	return "static/" + feature + ".png"
}

// get asks the server for one resource, as a browser (html) or a client
// of the API would.
func (s *Server) get(target string, html bool) ([]byte, string, error) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if html {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := s.app.Test(req, -1)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d: %s", target, resp.StatusCode, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// exportTiles writes a layer's tiles from zoom 0 to maxZoom over its
// bounds (tiles without features are left out) as tiles/{layer}.pmtiles,
// with the layer's TileJSON for the export: its tiles inside the archive
// (pmtiles://, as MapLibre's PMTiles protocol reads them) and its zooms the
// archive's. site is the base URL with a trailing slash. The tiles are
// asked for in the archive's order and wait compressed in a temporary
// file in tmp, so memory holds their directory entries, not the tiles.
func (s *Server) exportTiles(ctx context.Context, l layers.Layer, maxZoom int, site, tmp string, put func(file, contentType string, fill func(io.Writer) error) error) error {
	tj, _, err := s.get("/tiles/"+l.ID+".json", false)
	if err != nil {
		return err
	}
	var meta map[string]any
	if err := json.Unmarshal(tj, &meta); err != nil {
		return fmt.Errorf("TileJSON of %s: %w", l.ID, err)
	}
	static := maps.Clone(meta)
	static["tiles"] = []string{"pmtiles://" + site + "tiles/" + l.ID + ".pmtiles/{z}/{x}/{y}"}
	static["minzoom"], static["maxzoom"] = 0, maxZoom
	if tj, err = json.Marshal(static); err != nil {
		return err
	}
	for _, k := range []string{"tiles", "tilejson", "scheme", "minzoom", "maxzoom", "bounds", "center"} {
		delete(meta, k) // the archive's header holds these; tiles are inside it
	}
	w, err := pmtiles.NewWriter(tmp)
	if err != nil {
		return err
	}
	defer w.Close()
	w.MinZoom, w.MaxZoom, w.Bound, w.Metadata = 0, maxZoom, l.Bound, meta
	for z := 0; z <= maxZoom; z++ {
		cover := tiles.Cover(l.Bound, z)
		slices.SortFunc(cover, func(a, b maptile.Tile) int {
			return cmp.Compare(pmtiles.TileID(z, int(a.X), int(a.Y)), pmtiles.TileID(z, int(b.X), int(b.Y)))
		})
		for _, t := range cover {
			if err := ctx.Err(); err != nil {
				return err
			}
			body, _, err := s.get(fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l.ID, t.Z, t.X, t.Y), false)
			if err != nil {
				return err
			}
			if err := w.Add(int(t.Z), int(t.X), int(t.Y), body); err != nil {
				return err
			}
		}
	}
	if w.Len() == 0 {
		return nil // a layer with nothing to draw at these zooms
	}
	err = put("tiles/"+l.ID+".pmtiles", "application/vnd.pmtiles", func(f io.Writer) error {
		_, err := w.WriteTo(f)
		return err
	})
	if err != nil {
		return fmt.Errorf("tiles of %s: %w", l.ID, err)
	}
	return put("tiles/"+l.ID+".json", "application/json", func(f io.Writer) error {
		_, err := f.Write(tj)
		return err
	})
}

// staticPage marks the map or embed page as served from files (with the
// base path, the tiles' deepest zoom, the data version the files hold and
// the layers drawn from tiles, which have a search index and no picture
// per feature).
func staticPage(page []byte, prefix string, maxZoom, version int, tiled []string) []byte {
	attrs := fmt.Sprintf(`content="%s" data-tiles-maxzoom="%d" data-version="%d"`, html.EscapeString(prefix), maxZoom, version)
	if len(tiled) > 0 {
		attrs += ` data-tiled="` + html.EscapeString(strings.Join(tiled, ",")) + `"`
	}
	return injectHead(page, []byte(`<meta name="`+StaticMeta+`" `+attrs+">\n"))
}

// versionNote says on a page of the API or the source reader which data
// version the copy holds (before the end of its main element, or of its
// body), since a static copy never changes and cannot be asked for another.
func versionNote(page []byte, version int) []byte {
	note := []byte(fmt.Sprintf(`<p class="export-version" id="export-version">A static copy of data version %d: it does not change with the live map.</p>`+"\n", version))
	for _, end := range []string{"</main>", "</body>"} {
		if i := bytes.LastIndex(page, []byte(end)); i >= 0 {
			return append(append(append([]byte{}, page[:i]...), note...), page[i:]...)
		}
	}
	return page
}

var oembedLink = regexp.MustCompile(`<link rel="alternate" type="application/json(?:\+|&#43;)oembed"[^>]*>\n?`)

// linkMap turns the server's URLs into the exported files' URLs.
type linkMap struct {
	base   string            // the base URL, no trailing slash
	prefix string            // its path, with a trailing slash
	files  map[string]string // server path and query → exported file
}

func newLinkMap(base, prefix string, res []siteFile) *linkMap {
	m := &linkMap{base: strings.TrimSuffix(base, "/"), prefix: prefix, files: map[string]string{}}
	for _, r := range res {
		m.files[canonical(r.url)] = r.file
	}
	return m
}

// canonical is a server URL as the link map keys it: its query sorted,
// without the parameters that do not change what an export holds (v: the
// export is one data version; limit: it has one page size).
func canonical(u string) string {
	p, q, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return u
	}
	vals.Del("v")
	vals.Del("limit")
	if len(vals) == 0 {
		return p
	}
	return p + "?" + vals.Encode()
}

// file maps a server URL (absolute under the base URL, or a path) to the
// exported file's URL, keeping its fragment; ok is false for a URL that is
// not this site's or has no exported file. A URL the server answers by
// content negotiation maps to the format def (html or json).
func (m *linkMap) file(u, def string) (string, bool) {
	origin := ""
	rel := u
	if strings.HasPrefix(u, m.base+"/") || u == m.base {
		b, _ := url.Parse(m.base)
		origin = b.Scheme + "://" + b.Host
		rel = strings.TrimPrefix(u, m.base)
		if rel == "" {
			rel = "/"
		}
	} else if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return "", false
	}
	rel, frag, hasFrag := strings.Cut(rel, "#")
	if hasFrag {
		frag = "#" + frag
		def = "html" // a place in a page (a passage in the source reader)
	}
	file, ok := m.files[canonical(rel)]
	if !ok {
		p, q, _ := strings.Cut(rel, "?")
		switch vals, _ := url.ParseQuery(q); {
		case p == "/" && vals.Get("f") == "":
			file, ok = "index.html", true // the map, whatever its view
		case p == "/static/map.png" || p == "/static/map.svg":
			// Any view of the map: its feature's picture, else the map's.
			file, ok = "static/map.png", true
			if f := vals.Get("feature"); f != "" {
				file, ok = m.lookup("/static/map.png?" + url.Values{"feature": {f}}.Encode())
			}
		case vals.Get("f") == "html" || vals.Get("f") == "json":
			file, ok = m.lookup(p + "?f=" + vals.Get("f")) // other parameters (v=N) do not change a static copy
		case q != "":
			file, ok = m.lookup(p)
		default:
			file, ok = m.lookup(p + "?f=" + def)
		}
		if !ok {
			return "", false
		}
	}
	file = strings.TrimSuffix(file, "index.html") // a folder's page is the folder
	return origin + m.prefix + file + frag, true
}

func (m *linkMap) lookup(u string) (string, bool) {
	f, ok := m.files[u]
	return f, ok
}

var linkAttr = regexp.MustCompile(`(\s(?:href|src|content)=")([^"]*)(")`)

// rewriteHTML points the links of a page (href, src, and meta content
// that is a URL) at the exported files. Links to what was not exported
// stay as they are.
func (m *linkMap) rewriteHTML(page []byte) []byte {
	return linkAttr.ReplaceAllFunc(page, func(attr []byte) []byte {
		sub := linkAttr.FindSubmatch(attr)
		u, ok := m.file(html.UnescapeString(string(sub[2])), "html")
		if !ok {
			return attr
		}
		return []byte(string(sub[1]) + html.EscapeString(u) + string(sub[3]))
	})
}

// rewriteJSON points the links in a JSON document (strings that are URLs
// under the base URL) at the exported files.
func (m *linkMap) rewriteJSON(doc []byte) []byte {
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(m.base) + `(?:[/?#][^"\\]*(?:\\.[^"\\]*)*)?"`)
	return re.ReplaceAllFunc(doc, func(lit []byte) []byte {
		var u string
		if json.Unmarshal(lit, &u) != nil {
			return lit
		}
		f, ok := m.file(u, "json")
		if !ok {
			return lit
		}
		b, err := json.Marshal(f)
		if err != nil {
			return lit
		}
		return b
	})
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
