package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
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

// handleLayerDownload serves /layers/{id}.geojson, .gpkg and .csv: the whole
// layer as one file, encoded (and gzipped) once per layer revision.
func (s *Server) handleLayerDownload(c *fiber.Ctx) error {
	if err := allowParams(c, "v"); err != nil {
		return err
	}
	file := c.Params("file")
	id, ext, _ := strings.Cut(file, ".")
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	var build func(ctx context.Context, l layers.Layer) ([]byte, error)
	var contentType string
	switch ext {
	case "geojson":
		contentType = mimeGeoJSON
		build = func(ctx context.Context, l layers.Layer) ([]byte, error) {
			ix, ok, err := s.pinnedIndex(ctx, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				return layers.EncodeLayer(ctx, r, l.ID, styleLinks(base, l.ID)...)
			}
			// From the stored bodies: nothing is decoded.
			head, tail, err := collectionFrame(l, styleLinks(base, l.ID))
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = writeLayerGeoJSON(ctx, ix, l.ID, head, tail, &buf)
			return buf.Bytes(), err
		}
	case "gpkg":
		contentType = mimeGPKG
		build = func(ctx context.Context, l layers.Layer) ([]byte, error) {
			sn, err := s.collectionSnapshot(ctx, r, l.ID)
			if err != nil {
				return nil, err
			}
			rows, err := layers.EvidenceTable(ctx, r)
			if err != nil {
				return nil, err
			}
			return gpkg.Encode(ctx, sn, rows, gpkg.Options{BaseURL: base})
		}
	case "qml", "sld":
		contentType = mimeXML
		build = func(ctx context.Context, l layers.Layer) ([]byte, error) {
			sn, err := s.collectionSnapshot(ctx, r, l.ID)
			if err != nil {
				return nil, err
			}
			st := gpkg.StyleOf(sn.Layer, sn.Types.Class(), sn.PropertyNames())
			if ext == "sld" {
				return []byte(st.SLD), nil
			}
			return []byte(st.QML), nil
		}
	case "qgz":
		contentType = mimeZip
		build = func(ctx context.Context, l layers.Layer) ([]byte, error) {
			sn, err := s.collectionSnapshot(ctx, r, l.ID)
			if err != nil {
				return nil, err
			}
			return gpkg.Project(sn)
		}
	case "csv":
		contentType = mimeCSV
		build = func(ctx context.Context, l layers.Layer) ([]byte, error) {
			sn, err := s.collectionSnapshot(ctx, r, l.ID)
			if err != nil {
				return nil, err
			}
			return layers.EncodeCSV(sn)
		}
	default:
		return layers.Errorf(layers.ENOTFOUND, "no download %q: layers download as /layers/{id}.geojson, .gpkg or .csv, with a QGIS style (.qml, .sld) and project (.qgz)", file)
	}
	ctx := c.UserContext()
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return err
	}
	if ext == "geojson" && l.Count > s.cfg.MaxWholeLayer {
		return s.streamGeoJSON(c, r, l, styleLinks(base, l.ID))
	}
	if err := s.wholeLayer(l); err != nil {
		return err
	}
	// The revision covers the layer's features and the evidence they cite,
	// which is all a download shows.
	key := ext + ":" + l.ID + "@" + l.Revision
	if ext != "csv" {
		key += "|" + base // links in the body start with the address
	}
	b, err := s.bodies.getOr(ctx, key, func(ctx context.Context) (b *body, err error) {
		if ext != "geojson" {
			// Prepared before taking a slot: the snapshot takes its own.
			if _, err := s.collectionSnapshot(ctx, r, l.ID); err != nil {
				return nil, err
			}
		}
		err = s.expensive.run(ctx, func() error {
			plain, err := build(ctx, l)
			if err != nil {
				return err
			}
			b, err = compressed(plain, l.Revision)
			return err
		})
		return b, err
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, l.ID, ext))
	return sendBody(c, b, contentType)
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
	return acceptsGzipHeader(c.Get(fiber.HeaderAcceptEncoding))
}

// acceptsGzipHeader reports whether an Accept-Encoding value takes gzip.
func acceptsGzipHeader(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
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
