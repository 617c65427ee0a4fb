package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb/geojson"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/gpkg"
)

// streamChunk is how many features one read transaction of a streamed
// download reads: a slow client never holds a transaction open (which
// would keep the file from growing under a writer).
const streamChunk = 2000

// streamGzipLevel compresses streamed downloads as they are sent: made for
// each request, they take the fast level; cached bodies take the best.
const streamGzipLevel = gzip.BestSpeed

// stream sends a download of layer l whose body produce writes as it is
// read from the store, so memory stays at one chunk whatever the layer's
// size. It carries the layer's revision as its ETag (answering 304 when
// the client has it) and is gzipped on the fly when the client accepts
// it. The response outlives the handler; if produce fails once the body
// has begun, the connection is aborted without the body's end (no last
// chunk, no gzip trailer), so a client sees a failed transfer, never a
// short file, and the error is logged.
func (s *Server) stream(c *fiber.Ctx, l layers.Layer, contentType, filename string, produce func(ctx context.Context, w io.Writer) error) error {
	if notModified(c, l.Revision) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	gz := acceptsGzip(c)
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	ctx := context.WithoutCancel(c.UserContext())
	pr, pw := io.Pipe()
	// The server's write timeout bounds a whole response, and a large
	// layer takes longer than that to reach a slow client: each write the
	// connection takes moves the deadline on, so only a stalled client
	// times out.
	out := &deadlineWriter{w: pw, conn: c.Context().Conn(), timeout: s.app.Config().WriteTimeout}
	go func() {
		err := writeStream(ctx, out, gz, produce)
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			slog.Error("download aborted", "file", filename, "revision", l.Revision, "err", err)
		}
		// A nil error ends the body; any other makes the server's read of
		// it fail, and the server then closes the connection mid-body.
		pw.CloseWithError(err)
	}()
	// Closed by the server when the response is done with, which stops
	// produce at its next write if the client went away.
	c.Context().SetBodyStream(pr, -1)
	return nil
}

// deadlineWriter writes to the pipe the server sends a response from, and
// after each write, which returns once the server has taken the bytes,
// moves the connection's write deadline on by timeout (at most once a
// second).
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
	next    time.Time
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err == nil && d.timeout > 0 && d.conn != nil {
		if now := time.Now(); now.After(d.next) {
			d.conn.SetWriteDeadline(now.Add(d.timeout))
			d.next = now.Add(time.Second)
		}
	}
	return n, err
}

// writeStream runs produce into w, through gzip when gz is set.
func writeStream(ctx context.Context, w io.Writer, gz bool, produce func(ctx context.Context, w io.Writer) error) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	var out io.Writer = bw
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(bw, streamGzipLevel)
		out = zw
	}
	if err := produce(ctx, out); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// notModified sets the caching headers of a download of the given
// revision and reports whether the client already holds it.
func notModified(c *fiber.Ctx, revision string) bool {
	etag := `"` + revision + `"`
	if acceptsGzip(c) {
		etag = `"` + revision + `-gz"`
	}
	c.Set(fiber.HeaderETag, etag)
	c.Vary(fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60, must-revalidate")
	inm := c.Get(fiber.HeaderIfNoneMatch)
	return inm != "" && etagMatch(inm, revision)
}

// pinned is r's data version, so that the several read transactions of a
// download all read the same version.
func (s *Server) pinned(ctx context.Context, r layers.Reader) (layers.Reader, error) {
	v, err := r.Version(ctx)
	if err != nil {
		return nil, err
	}
	return s.at(ctx, v)
}

// pinnedIndex is pinned as an index; ok is false when the store keeps no
// index.
func (s *Server) pinnedIndex(ctx context.Context, r layers.Reader) (layers.Indexed, bool, error) {
	if _, ok := r.(layers.Indexed); !ok {
		return nil, false, nil
	}
	p, err := s.pinned(ctx, r)
	if err != nil {
		return nil, false, err
	}
	ix, ok := p.(layers.Indexed)
	return ix, ok, nil
}

// table is layer id of r (pinned) read from the store: its description
// from the layer's record, its features from the stored bodies, streamChunk
// per read transaction. A store without an index falls back to the whole
// layer, under the limit.
func (s *Server) table(ctx context.Context, r layers.Reader, id string) (layers.Table, error) {
	ix, ok := r.(layers.Indexed)
	if !ok {
		sn, err := s.collectionSnapshot(ctx, r, id)
		if err != nil {
			return layers.Table{}, err
		}
		if err := s.wholeLayer(sn.Layer); err != nil {
			return layers.Table{}, err
		}
		return sn.Table(), nil
	}
	var t layers.Table
	err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
		t = layers.Table{Layer: li.Layer(), Types: li.Types(), Queryables: maps.Clone(li.Queryables())}
		return nil
	})
	if err != nil {
		return t, err
	}
	if t.Layer.Kind == layers.KindBasemap {
		return t, notCollection(id)
	}
	t.Rows = func(ctx context.Context, fn func(layers.Row) error) error {
		rows := make([]layers.Row, 0, streamChunk)
		return scanChunks(ctx, ix, id, func(b layers.Body) error {
			row, err := layers.RowOf(b)
			if err != nil {
				return fmt.Errorf("layer %s: %w", id, err)
			}
			rows = append(rows, row)
			return nil
		}, func() error {
			for i, row := range rows {
				if err := fn(row); err != nil {
					return err
				}
				rows[i] = layers.Row{}
			}
			rows = rows[:0]
			return nil
		})
	}
	return t, nil
}

// evidence reads the evidence rows of layer id of r (pinned): every
// claim's row, read through the passages' index (layers.EvidenceTable),
// those of the layer's features kept. It is proportional to the evidence:
// reading a large layer's bodies for the features that cite took most of
// the file in the mapped pages' churn.
func evidence(r layers.Reader, id string) gpkg.Evidence {
	return func(ctx context.Context, fn func(layers.EvidenceRow) error) error {
		rows, err := layers.EvidenceTable(ctx, r)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if row.Layer != id {
				continue
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		return nil
	}
}

// scanChunks calls add with every body of layer id in id order, streamChunk
// bodies per read transaction, and flush after each transaction: add runs
// inside it (a body's bytes are valid only there), flush outside, so a slow
// client never holds a transaction open.
func scanChunks(ctx context.Context, ix layers.Indexed, id string, add func(layers.Body) error, flush func() error) error {
	from := ""
	for {
		n, last := 0, ""
		var addErr error
		err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
			return li.Scan(from, func(b layers.Body) bool {
				if b.ID == from {
					return true // the last of the previous chunk
				}
				if addErr = add(b); addErr != nil {
					return false
				}
				n++
				last = b.ID
				return n < streamChunk
			})
		})
		if err == nil {
			err = addErr
		}
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if n < streamChunk {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		from = last
	}
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
// then tail, the bytes layers.EncodeLayer makes, from the stored bodies:
// nothing is decoded.
func writeLayerGeoJSON(ctx context.Context, ix layers.Indexed, id string, head, tail []byte, w io.Writer) error {
	if _, err := w.Write(head); err != nil {
		return err
	}
	var buf bytes.Buffer
	first := true
	err := scanChunks(ctx, ix, id, func(b layers.Body) error {
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
		return nil
	}, func() error {
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.Write(tail)
	return err
}
