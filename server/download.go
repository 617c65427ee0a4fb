package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/gpkg"
)

const (
	mimeGPKG = "application/geopackage+sqlite3"
	mimeCSV  = "text/csv; charset=utf-8"
	mimeXML  = "application/xml; charset=utf-8" // QGIS styles (QML) and SLD
	mimeZip  = "application/zip"                // a QGIS project (.qgz)
)

// styleLinks say where a layer's QGIS style and project are.
func styleLinks(base, id string) []layers.Link {
	return []layers.Link{
		{Href: base + "/layers/" + id + ".qml", Rel: "describedby", Type: mimeXML, Title: "QGIS style (QML): Layer Properties > Style > Load Style"},
		{Href: base + "/layers/" + id + ".sld", Rel: "describedby", Type: mimeXML, Title: "The same style as SLD (Symbology Encoding 1.1)"},
		{Href: base + "/layers/" + id + ".qgz", Rel: "alternate", Type: mimeZip, Title: "QGIS project: the GeoPackage with its style and evidence relation (save beside " + id + ".gpkg)"},
		{Href: base + "/layers/" + id + ".gpkg", Rel: "alternate", Type: mimeGPKG, Title: "GeoPackage with the style and evidence built in"},
	}
}

// maxCachedDownload is the most features a layer may have for its
// downloads to be built whole and kept (with their gzip form) in the body
// cache: a larger layer's downloads are streamed from the store for each
// request, in constant memory. At the ~500 bytes of a typical polygon, 50k
// features make ~25 MB with their gzip form, within the body cache's
// 56 MiB share; the layers a newsroom serves are far smaller, and a
// streamed download is gzipped anew for every request (0.3-0.5 s for
// 21.5k polygons), so the limit must sit well above them.
const maxCachedDownload = 50_000

// handleLayerDownload serves /layers/{id}.geojson, .gpkg and .csv, the whole
// layer as one file, and its QGIS style (.qml, .sld) and project (.qgz).
// All are read from the store's layer record and stored bodies, a chunk at a
// time: nothing decodes the layer whole. A small layer's files are made
// (and gzipped) once per layer revision and kept; a larger one's are
// streamed (see stream).
func (s *Server) handleLayerDownload(c *fiber.Ctx) error {
	if err := allowParams(c, "v"); err != nil {
		return err
	}
	file := c.Params("file")
	id, ext, _ := strings.Cut(file, ".")
	var contentType string
	switch ext {
	case "geojson":
		contentType = mimeGeoJSON
	case "gpkg":
		contentType = mimeGPKG
	case "csv":
		contentType = mimeCSV
	case "qml", "sld":
		contentType = mimeXML
	case "qgz":
		contentType = mimeZip
	default:
		return layers.Errorf(layers.ENOTFOUND, "no download %q: layers download as /layers/{id}.geojson, .gpkg or .csv, with a QGIS style (.qml, .sld) and project (.qgz)", file)
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return err
	}
	if ext != "geojson" && l.Kind == layers.KindBasemap {
		return notCollection(id)
	}
	base := s.baseURL(c)
	filename := l.ID + "." + ext
	// The style and project need only the layer's description; the
	// others read every feature.
	small := ext == "qml" || ext == "sld" || ext == "qgz" || l.Count <= min(s.cfg.MaxWholeLayer, maxCachedDownload)
	if !small {
		return s.streamDownload(c, r, l, ext, contentType, base)
	}
	// The revision covers the layer's features and the evidence they cite,
	// which is all a download shows.
	key := ext + ":" + l.ID + "@" + l.Revision
	if ext != "csv" && ext != "qml" && ext != "sld" {
		key += "|" + base // links in the body start with the address
	}
	b, err := s.bodies.getOr(ctx, key, func(ctx context.Context) (b *body, err error) {
		err = s.expensive.run(ctx, func() error {
			var buf bytes.Buffer
			if err := s.writeDownload(ctx, r, l, ext, base, &buf); err != nil {
				return err
			}
			b, err = compressed(buf.Bytes(), l.Revision)
			return err
		})
		return b, err
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	return sendBody(c, b, contentType)
}

// writeDownload writes the file ext of layer l of r to w.
func (s *Server) writeDownload(ctx context.Context, r layers.Reader, l layers.Layer, ext, base string, w io.Writer) error {
	r, err := s.pinned(ctx, r)
	if err != nil {
		return err
	}
	switch ext {
	case "geojson":
		ix, ok := r.(layers.Indexed)
		if !ok {
			b, err := layers.EncodeLayer(ctx, r, l.ID, styleLinks(base, l.ID)...)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
		head, tail, err := collectionFrame(l, styleLinks(base, l.ID))
		if err != nil {
			return err
		}
		return writeLayerGeoJSON(ctx, ix, l.ID, head, tail, w)
	case "gpkg":
		t, err := s.table(ctx, r, l.ID)
		if err != nil {
			return err
		}
		f, err := writeGPKG(ctx, r, t, base)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	case "csv":
		t, err := s.table(ctx, r, l.ID)
		if err != nil {
			return err
		}
		return layers.WriteCSV(ctx, w, t)
	case "qml", "sld", "qgz":
		t, err := s.table(ctx, r, l.ID)
		if err != nil {
			return err
		}
		var b []byte
		switch st := gpkg.StyleOf(t.Layer, t.Types.Class(), t.PropertyNames()); ext {
		case "qml":
			b = []byte(st.QML)
		case "sld":
			b = []byte(st.SLD)
		default:
			if b, err = gpkg.Project(t); err != nil {
				return err
			}
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("no download of %s as %q", l.ID, ext)
}

// writeGPKG writes table t of r (pinned) as a GeoPackage into a temporary
// file and returns it open at its start (see buildTemp).
func writeGPKG(ctx context.Context, r layers.Reader, t layers.Table, base string) (*os.File, error) {
	return buildTemp(ctx, t.Layer.ID+".gpkg", func(ctx context.Context, path string) error {
		return gpkg.Write(ctx, path, t, evidence(r, t.Layer.ID), gpkg.Options{BaseURL: base})
	})
}

// buildTemp has build write a file named name in a temporary folder and
// returns it open at its start, already unlinked: it goes away when closed.
func buildTemp(ctx context.Context, name string, build func(ctx context.Context, path string) error) (*os.File, error) {
	dir, err := os.MkdirTemp("", "citemap-gpkg")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	if err := build(ctx, path); err != nil {
		return nil, err
	}
	return os.Open(path)
}

// streamDownload streams a download of a layer too large to keep its files
// whole. A GeoPackage (SQLite) is written to a temporary file first, with
// a slot of the expensive limiter; the other formats go out as they are
// read.
func (s *Server) streamDownload(c *fiber.Ctx, r layers.Reader, l layers.Layer, ext, contentType, base string) error {
	ctx := c.UserContext()
	filename := l.ID + "." + ext
	if ext != "gpkg" {
		return s.stream(c, l, contentType, filename, func(ctx context.Context, w io.Writer) error {
			return s.writeDownload(ctx, r, l, ext, base, w)
		})
	}
	if notModified(c, l.Revision) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	build := func(ctx context.Context, path string) error {
		return s.expensive.run(ctx, func() error {
			p, err := s.pinned(ctx, r)
			if err != nil {
				return err
			}
			t, err := s.table(ctx, p, l.ID)
			if err != nil {
				return err
			}
			return gpkg.Write(ctx, path, t, evidence(p, l.ID), gpkg.Options{BaseURL: base})
		})
	}
	var f *os.File
	var err error
	if s.gpkgs != nil {
		// The revision covers the features and the evidence they cite; the
		// evidence rows link to the address.
		f, err = s.gpkgs.open(ctx, l.ID, l.Revision+"|"+base, build)
	} else {
		f, err = buildTemp(ctx, l.ID+".gpkg", build)
	}
	if err != nil {
		return err
	}
	return s.stream(c, l, contentType, filename, func(ctx context.Context, w io.Writer) error {
		defer f.Close()
		_, err := io.Copy(w, f)
		return err
	})
}

// handlePassagesCSV serves the evidence join table: one row per claim.
func (s *Server) handlePassagesCSV(c *fiber.Ctx) error {
	if err := allowParams(c, "v"); err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v, err := r.Version(ctx)
	if err != nil {
		return err
	}
	// A data version never changes, so its number tags the table.
	b, err := s.bodies.getOr(ctx, "passages.csv@"+strconv.Itoa(v), func(ctx context.Context) (*body, error) {
		rows, err := layers.EvidenceTable(ctx, r)
		if err != nil {
			return nil, err
		}
		plain, err := layers.EncodeEvidenceCSV(rows)
		if err != nil {
			return nil, err
		}
		return compressed(plain, "v"+strconv.Itoa(v))
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="passages.csv"`)
	return sendBody(c, b, mimeCSV)
}

// compressed returns a body with its gzip form computed at the best
// compression: it is made once per revision and sent many times.
func compressed(plain []byte, revision string) (*body, error) {
	return compressedLevel(plain, revision, gzip.BestCompression)
}

// compressedLevel is compressed at a given gzip level; tiles use a faster
// one, being many and made on demand.
func compressedLevel(plain []byte, revision string, level int) (*body, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	if _, err := zw.Write(plain); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &body{plain: plain, gzip: buf.Bytes(), revision: revision}, nil
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
	c.Vary(fiber.HeaderAcceptEncoding)
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
	return acceptsCoding(c.Get(fiber.HeaderAcceptEncoding), "gzip")
}

// acceptsCoding reports whether an Accept-Encoding value takes a content
// coding (RFC 9110, 12.5.3): named, or else covered by "*", with a q-value
// above zero.
func acceptsCoding(ae, coding string) bool {
	star := false
	for part := range strings.SplitSeq(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, coding) && name != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if name != "*" {
			return q > 0
		}
		star = q > 0
	}
	return star
}
