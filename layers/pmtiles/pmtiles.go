// Package pmtiles writes PMTiles version 3 archives: a tile pyramid in one
// file that any HTTP server answering range requests serves, read by
// MapLibre through the pmtiles protocol (https://github.com/protomaps/PMTiles,
// spec/v3/spec.md).
//
// It is written here rather than imported: the reference Go package bundles
// its writer with cloud storage clients that double the size of mapserver.
package pmtiles

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/paulmach/orb"
)

// The spec's codes for compression and tile type.
const (
	compressionNone = 1
	compressionGzip = 2
	tileTypeMVT     = 1
)

const (
	headerLen = 127
	// rootMax is how far into the file a client's first read goes: header
	// and root directory must fit in it.
	rootMax = 16384
)

// Archive collects tiles and writes them as one PMTiles file.
type Archive struct {
	MinZoom, MaxZoom int
	Bound            orb.Bound // of the data, lon/lat
	Metadata         any       // JSON object: name, vector_layers, attribution, ...
	tiles            map[uint64][]byte
}

// Add keeps the vector tile z/x/y (plain, not compressed). Empty tiles are
// left out: readers treat a missing tile as empty.
func (a *Archive) Add(z, x, y int, mvt []byte) error {
	if z < 0 || z > 31 || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return fmt.Errorf("pmtiles: no tile %d/%d/%d", z, x, y)
	}
	if len(mvt) == 0 {
		return nil
	}
	if a.tiles == nil {
		a.tiles = map[uint64][]byte{}
	}
	a.tiles[TileID(z, x, y)] = mvt
	return nil
}

// Len is the number of tiles kept.
func (a *Archive) Len() int { return len(a.tiles) }

// TileID is the tile's position on the Hilbert curves of all zooms up to
// and including z, as the spec numbers tiles.
func TileID(z, x, y int) uint64 {
	var acc uint64
	for i := 0; i < z; i++ {
		acc += 1 << (2 * i)
	}
	tx, ty := uint64(x), uint64(y)
	n := uint64(1) << z
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if tx&s > 0 {
			rx = 1
		}
		if ty&s > 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// Rotate the quadrant.
		if ry == 0 {
			if rx == 1 {
				tx = s - 1 - tx&(s-1)
				ty = s - 1 - ty&(s-1)
			}
			tx, ty = ty, tx
		}
	}
	return acc + d
}

type entry struct {
	tileID    uint64
	offset    uint64
	length    uint32
	runLength uint32
}

// WriteTo writes the archive: header, root directory, metadata, leaf
// directories, then the tile data in tile-id order (clustered), each
// distinct tile once, gzip-compressed.
func (a *Archive) WriteTo(w io.Writer) (int64, error) {
	if len(a.tiles) == 0 {
		return 0, errors.New("pmtiles: no tiles to write")
	}
	ids := make([]uint64, 0, len(a.tiles))
	for id := range a.tiles {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var data bytes.Buffer
	t := newTileLog(&data)
	for _, id := range ids {
		if err := t.add(id, a.tiles[id]); err != nil {
			return 0, err
		}
	}
	return t.writeArchive(w, a.MinZoom, a.MaxZoom, a.Bound, a.Metadata, bytes.NewReader(data.Bytes()))
}

// Writer writes an archive whose tiles do not all fit in memory: each
// tile, given in tile-id order, is compressed into a temporary file at
// once, and only its directory entry is kept; WriteTo then writes the
// header and directories and copies the tiles after them.
type Writer struct {
	MinZoom, MaxZoom int
	Bound            orb.Bound
	Metadata         any
	tmp              *os.File
	log              *tileLog
}

// NewWriter starts an archive whose tiles wait in a temporary file in dir
// ("" for the system's); Close removes it.
func NewWriter(dir string) (*Writer, error) {
	f, err := os.CreateTemp(dir, "tiles-*.pmtiles.tmp")
	if err != nil {
		return nil, fmt.Errorf("pmtiles: %w", err)
	}
	return &Writer{tmp: f, log: newTileLog(bufio.NewWriterSize(f, 1<<16))}, nil
}

// Add writes the vector tile z/x/y (plain, not compressed); its tile id
// (TileID) must be above the last one added. Empty tiles are left out.
func (w *Writer) Add(z, x, y int, mvt []byte) error {
	if z < 0 || z > 31 || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return fmt.Errorf("pmtiles: no tile %d/%d/%d", z, x, y)
	}
	if len(mvt) == 0 {
		return nil
	}
	return w.log.add(TileID(z, x, y), mvt)
}

// Len is the number of tiles added.
func (w *Writer) Len() int { return int(w.log.addressed) }

// WriteTo writes the whole archive to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.log.addressed == 0 {
		return 0, errors.New("pmtiles: no tiles to write")
	}
	if err := w.log.data.(*bufio.Writer).Flush(); err != nil {
		return 0, fmt.Errorf("pmtiles: %w", err)
	}
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("pmtiles: %w", err)
	}
	return w.log.writeArchive(out, w.MinZoom, w.MaxZoom, w.Bound, w.Metadata, w.tmp)
}

// Close removes the temporary file.
func (w *Writer) Close() error {
	w.tmp.Close()
	return os.Remove(w.tmp.Name())
}

// tileLog writes compressed tiles to data in tile-id order, each distinct
// tile once, and keeps their directory entries.
type tileLog struct {
	g         *gzipper
	data      io.Writer
	size      uint64
	seen      map[[32]byte]entry
	entries   []entry
	addressed uint64
	last      uint64
}

func newTileLog(data io.Writer) *tileLog {
	return &tileLog{g: newGzipper(), data: data, seen: map[[32]byte]entry{}}
}

func (t *tileLog) add(id uint64, raw []byte) error {
	if t.addressed > 0 && id <= t.last {
		return fmt.Errorf("pmtiles: tile %d after tile %d: tiles must come in tile-id order", id, t.last)
	}
	t.last = id
	t.addressed++
	sum := sha256.Sum256(raw)
	e, dup := t.seen[sum]
	if !dup {
		gz, err := t.g.gzip(raw)
		if err != nil {
			return err
		}
		e = entry{offset: t.size, length: uint32(len(gz))}
		if _, err := t.data.Write(gz); err != nil {
			return fmt.Errorf("pmtiles: %w", err)
		}
		t.size += uint64(len(gz))
		t.seen[sum] = e
	}
	// Consecutive ids with the same bytes make one run.
	if n := len(t.entries); n > 0 {
		last := &t.entries[n-1]
		if last.offset == e.offset && last.tileID+uint64(last.runLength) == id {
			last.runLength++
			return nil
		}
	}
	t.entries = append(t.entries, entry{tileID: id, offset: e.offset, length: e.length, runLength: 1})
	return nil
}

// writeArchive writes header, root directory, metadata and leaf
// directories, then the tile data read from data.
func (t *tileLog) writeArchive(w io.Writer, minZoom, maxZoom int, b orb.Bound, metadata any, data io.Reader) (int64, error) {
	g := t.g
	root, leaves, err := g.directories(t.entries)
	if err != nil {
		return 0, err
	}
	meta, err := g.json(metadata)
	if err != nil {
		return 0, err
	}

	h := make([]byte, headerLen)
	copy(h, "PMTiles")
	h[7] = 3
	le := binary.LittleEndian
	rootOff := uint64(headerLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(meta))
	dataOff := leafOff + uint64(len(leaves))
	le.PutUint64(h[8:], rootOff)
	le.PutUint64(h[16:], uint64(len(root)))
	le.PutUint64(h[24:], metaOff)
	le.PutUint64(h[32:], uint64(len(meta)))
	le.PutUint64(h[40:], leafOff)
	le.PutUint64(h[48:], uint64(len(leaves)))
	le.PutUint64(h[56:], dataOff)
	le.PutUint64(h[64:], t.size)
	le.PutUint64(h[72:], t.addressed)            // addressed tiles
	le.PutUint64(h[80:], uint64(len(t.entries))) // tile entries
	le.PutUint64(h[88:], uint64(len(t.seen)))    // tile contents
	h[96] = 1                                    // clustered
	h[97] = compressionGzip                      // directories and metadata
	h[98] = compressionGzip                      // tiles
	h[99] = tileTypeMVT
	h[100] = uint8(minZoom)
	h[101] = uint8(maxZoom)
	putE7 := func(at int, v float64) { le.PutUint32(h[at:], uint32(int32(math.Round(v*1e7)))) }
	putE7(102, b.Min[0])
	putE7(106, b.Min[1])
	putE7(110, b.Max[0])
	putE7(114, b.Max[1])
	h[118] = uint8(minZoom)
	c := b.Center()
	putE7(119, c[0])
	putE7(123, c[1])

	var n int64
	for _, part := range [][]byte{h, root, meta, leaves} {
		m, err := w.Write(part)
		n += int64(m)
		if err != nil {
			return n, fmt.Errorf("pmtiles: %w", err)
		}
	}
	m, err := io.Copy(w, data)
	n += m
	if err != nil {
		return n, fmt.Errorf("pmtiles: %w", err)
	}
	if uint64(m) != t.size {
		return n, fmt.Errorf("pmtiles: %d bytes of tiles copied, %d written", m, t.size)
	}
	return n, nil
}

// directories serializes the entries as one root directory when it fits in
// the first 16 KiB, else as leaf directories the root points to, with
// leaves made larger until the root fits (as the reference writer does).
func (g *gzipper) directories(entries []entry) (root, leaves []byte, err error) {
	if len(entries) < 16384 {
		if root, err = g.serialize(entries); err != nil || len(root) <= rootMax-headerLen {
			return root, nil, err
		}
	}
	leafSize := len(entries) / 3500
	if leafSize < 4096 {
		leafSize = 4096
	}
	for {
		var rootEntries []entry
		var buf bytes.Buffer
		for i := 0; i < len(entries); i += leafSize {
			end := min(i+leafSize, len(entries))
			leaf, err := g.serialize(entries[i:end])
			if err != nil {
				return nil, nil, err
			}
			rootEntries = append(rootEntries, entry{tileID: entries[i].tileID, offset: uint64(buf.Len()), length: uint32(len(leaf))})
			buf.Write(leaf)
		}
		if root, err = g.serialize(rootEntries); err != nil {
			return nil, nil, err
		}
		if len(root) <= rootMax-headerLen {
			return root, buf.Bytes(), nil
		}
		leafSize += leafSize / 5
	}
}

// serialize encodes a directory: the count, then columns of tile-id
// deltas, run lengths, lengths and offsets (0 for "right after the
// previous entry", else offset+1), as varints, gzip-compressed. A run
// length of 0 marks a pointer to a leaf directory.
func (g *gzipper) serialize(entries []entry) ([]byte, error) {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.tileID-last)
		last = e.tileID
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.runLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.length))
	}
	for i, e := range entries {
		if i > 0 && e.offset == entries[i-1].offset+uint64(entries[i-1].length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.offset+1)
		}
	}
	return g.gzip(b)
}

// gzipper compresses with one writer, reset for each call, since tiles are
// many and small.
type gzipper struct{ zw *gzip.Writer }

func newGzipper() *gzipper {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression) // a valid level: no error
	return &gzipper{zw}
}

func (g *gzipper) gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	g.zw.Reset(&buf)
	if _, err := g.zw.Write(b); err != nil {
		return nil, err
	}
	if err := g.zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (g *gzipper) json(v any) ([]byte, error) {
	if v == nil {
		v = map[string]any{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: metadata: %w", err)
	}
	return g.gzip(b)
}
