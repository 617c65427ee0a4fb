package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb/geojson"

	"github.com/citemap/citemap/layers"
)

// streamChunk is how many features one read transaction of a streamed
// download reads: a slow client never holds a transaction open (which
// would keep the file from growing under a writer).
const streamChunk = 2000

// streamGeoJSON sends layer l of the data version r reads as one GeoJSON
// file, the bytes layers.EncodeLayer makes, written as they are read from
// the stored bodies: memory stays at one chunk whatever the layer's size.
// It is neither cached nor precompressed, so only layers too large to hold
// whole take this path.
func (s *Server) streamGeoJSON(c *fiber.Ctx, r layers.Reader, l layers.Layer, links []layers.Link) error {
	ctx := c.UserContext()
	ix, ok, err := s.pinnedIndex(ctx, r)
	if err != nil {
		return err
	}
	if !ok {
		return s.wholeLayer(l)
	}
	head, tail, err := collectionFrame(l, links)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, mimeGeoJSON)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.geojson"`, l.ID))
	// The response outlives the handler: it runs on its own context.
	bg := context.WithoutCancel(ctx)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := writeLayerGeoJSON(bg, ix, l.ID, head, tail, w); err != nil {
			// The status line is gone: the client sees a truncated file.
			slog.Error("stream layer", "layer", l.ID, "err", err)
		}
	})
	return nil
}

// pinnedIndex is r's data version as an index, pinned so that the several
// read transactions of a download all read the same version; ok is false
// when the store keeps no index.
func (s *Server) pinnedIndex(ctx context.Context, r layers.Reader) (layers.Indexed, bool, error) {
	if _, ok := r.(layers.Indexed); !ok {
		return nil, false, nil
	}
	v, err := r.Version(ctx)
	if err != nil {
		return nil, false, err
	}
	pinned, err := s.at(ctx, v)
	if err != nil {
		return nil, false, err
	}
	ix, ok := pinned.(layers.Indexed)
	return ix, ok, nil
}

// collectionFrame is the layer's FeatureCollection split around its
// features, as orb encodes it (members in key order).
func collectionFrame(l layers.Layer, links []layers.Link) (head, tail []byte, err error) {
	fc := geojson.NewFeatureCollection()
	if l.Count > 0 {
		fc.BBox = geojson.NewBBox(l.Bound)
	}
	fc.ExtraMembers = geojson.Properties{"name": l.ID}
	if len(links) > 0 {
		fc.ExtraMembers["links"] = links
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("encode layer %s: %w", l.ID, err)
	}
	const mark = `"features":[]`
	i := bytes.Index(b, []byte(mark))
	if i < 0 {
		return nil, nil, fmt.Errorf("encode layer %s: no features member", l.ID)
	}
	return b[:i+len(mark)-1], b[i+len(mark)-1:], nil
}

// writeLayerGeoJSON writes head, every feature of layer id in id order,
// then tail, reading streamChunk bodies per read transaction.
func writeLayerGeoJSON(ctx context.Context, ix layers.Indexed, id string, head, tail []byte, w io.Writer) error {
	if _, err := w.Write(head); err != nil {
		return err
	}
	var (
		buf   bytes.Buffer
		from  string
		first = true
	)
	for {
		n, last := 0, ""
		err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
			return li.Scan(from, func(b layers.Body) bool {
				if b.ID == from {
					return true // the last of the previous chunk
				}
				if !first {
					buf.WriteByte(',')
				}
				first = false
				buf.WriteString(`{"id":`)
				idj, _ := json.Marshal(b.ID)
				buf.Write(idj)
				buf.WriteString(`,"type":"Feature","geometry":`)
				buf.Write(b.Geometry)
				buf.WriteString(`,"properties":`)
				if len(b.Properties) <= 2 {
					buf.WriteString("null")
				} else {
					buf.Write(b.Properties)
				}
				buf.WriteByte('}')
				n++
				last = b.ID
				return n < streamChunk
			})
		})
		if err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
		if n < streamChunk {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		from = last
	}
	_, err := w.Write(tail)
	return err
}
