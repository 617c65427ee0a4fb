package pmtiles

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func TestTileID(t *testing.T) {
	// The spec's examples.
	for _, c := range []struct {
		z, x, y int
		want    uint64
	}{
		{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5},
	} {
		if got := TileID(c.z, c.x, c.y); got != c.want {
			t.Errorf("TileID(%d, %d, %d) = %d, want %d", c.z, c.x, c.y, got, c.want)
		}
	}
	// A Hilbert curve: each zoom's ids are a run after the lower zooms',
	// and consecutive ids are neighbouring tiles.
	for z := 1; z <= 5; z++ {
		first := TileID(z, 0, 0)
		n := 1 << z
		at := make([][2]int, n*n)
		seen := make([]bool, n*n)
		for x := 0; x < n; x++ {
			for y := 0; y < n; y++ {
				i := int(TileID(z, x, y) - first)
				if i < 0 || i >= n*n || seen[i] {
					t.Fatalf("z%d: tile %d/%d has id offset %d, out of range or taken", z, x, y, i)
				}
				seen[i] = true
				at[i] = [2]int{x, y}
			}
		}
		for i := 1; i < n*n; i++ {
			dx, dy := at[i][0]-at[i-1][0], at[i][1]-at[i-1][1]
			if dx*dx+dy*dy != 1 {
				t.Fatalf("z%d: ids %d and %d are tiles %v and %v, not neighbours", z, i-1, i, at[i-1], at[i])
			}
		}
	}
}

func TestAddRefuses(t *testing.T) {
	var a Archive
	for _, c := range [][3]int{{-1, 0, 0}, {2, 4, 0}, {2, 0, 4}, {3, -1, 0}, {32, 0, 0}} {
		if err := a.Add(c[0], c[1], c[2], []byte{1}); err == nil {
			t.Errorf("Add(%v) took a tile outside the grid", c)
		}
	}
	if _, err := a.WriteTo(io.Discard); err == nil {
		t.Error("an archive without tiles was written")
	}
}

// read finds tile z/x/y in an archive as the spec tells a client to: the
// header, then the root directory and any leaf directory it points to.
func read(t *testing.T, b []byte, z, x, y int) []byte {
	t.Helper()
	le := binary.LittleEndian
	rootOff, rootLen := le.Uint64(b[8:]), le.Uint64(b[16:])
	leafOff, dataOff := le.Uint64(b[40:]), le.Uint64(b[56:])
	id := TileID(z, x, y)
	dir := b[rootOff : rootOff+rootLen]
	for depth := 0; depth < 4; depth++ {
		es := decode(t, dir)
		var hit *entry
		for i := range es {
			if es[i].tileID <= id {
				hit = &es[i]
			}
		}
		if hit == nil {
			return nil
		}
		if hit.runLength == 0 { // a leaf directory
			dir = b[leafOff+hit.offset : leafOff+hit.offset+uint64(hit.length)]
			continue
		}
		if id >= hit.tileID+uint64(hit.runLength) {
			return nil
		}
		return gunzip(t, b[dataOff+hit.offset:dataOff+hit.offset+uint64(hit.length)])
	}
	t.Fatal("directories nest too deep")
	return nil
}

func decode(t *testing.T, gz []byte) []entry {
	r := bytes.NewReader(gunzip(t, gz))
	next := func() uint64 {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	es := make([]entry, next())
	var id uint64
	for i := range es {
		id += next()
		es[i].tileID = id
	}
	for i := range es {
		es[i].runLength = uint32(next())
	}
	for i := range es {
		es[i].length = uint32(next())
	}
	for i := range es {
		if o := next(); o == 0 && i > 0 {
			es[i].offset = es[i-1].offset + uint64(es[i-1].length)
		} else {
			es[i].offset = o - 1
		}
	}
	return es
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		name     string
		maxZoom  int
		distinct int // tiles at the deepest zoom with their own bytes; the rest repeat one
	}{
		{"root directory only", 3, 10},
		{"leaf directories", 8, 20000},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Archive{MinZoom: 0, MaxZoom: c.maxZoom, Bound: orb.Bound{Min: orb.Point{40, 38}, Max: orb.Point{50, 44}}, Metadata: map[string]any{"name": "test"}}
			n := 1 << c.maxZoom
			want := map[[3]int][]byte{}
			k := 0
			for x := 0; x < n; x++ {
				for y := 0; y < n; y++ {
					body := []byte("same")
					if k < c.distinct {
						body = []byte(fmt.Sprintf("tile %d/%d", x, y))
					}
					k++
					if k%7 == 0 {
						continue // a gap: no tile there
					}
					if err := a.Add(c.maxZoom, x, y, body); err != nil {
						t.Fatal(err)
					}
					want[[3]int{c.maxZoom, x, y}] = body
				}
			}
			var buf bytes.Buffer
			if _, err := a.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if string(b[:7]) != "PMTiles" || b[7] != 3 {
				t.Fatalf("header starts %q", b[:8])
			}
			le := binary.LittleEndian
			if rootEnd := le.Uint64(b[8:]) + le.Uint64(b[16:]); rootEnd > rootMax {
				t.Errorf("the root directory ends at byte %d, past the first %d a client reads", rootEnd, rootMax)
			}
			if got := le.Uint64(b[72:]); got != uint64(len(want)) {
				t.Errorf("header counts %d addressed tiles, want %d", got, len(want))
			}
			distinct := map[string]bool{}
			for _, body := range want {
				distinct[string(body)] = true
			}
			if got := le.Uint64(b[88:]); got != uint64(len(distinct)) {
				t.Errorf("header counts %d tile contents, want %d (repeats stored once)", got, len(distinct))
			}
			if lon := int32(le.Uint32(b[102:])); lon != 400000000 {
				t.Errorf("min lon e7 = %d", lon)
			}
			hasLeaves := le.Uint64(b[48:]) > 0
			if hasLeaves != (c.name == "leaf directories") {
				t.Errorf("leaf directories: %v", hasLeaves)
			}
			i := 0
			for zxy, body := range want {
				if i++; i%500 != 0 && len(want) > 1000 {
					continue // a sample: each read decodes a whole leaf
				}
				if got := read(t, b, zxy[0], zxy[1], zxy[2]); !bytes.Equal(got, body) {
					t.Fatalf("tile %v reads back as %q, want %q", zxy, got, body)
				}
			}
			if got := read(t, b, c.maxZoom, 0, 6); got != nil { // k=7 at x=0,y=6: left out
				t.Errorf("a tile never added reads as %q", got)
			}
		})
	}
}

// The Writer, given the tiles in tile-id order, writes the bytes the
// in-memory Archive writes, and leaves no temporary file behind.
func TestWriterStreams(t *testing.T) {
	dir := t.TempDir()
	meta := map[string]any{"name": "test"}
	bound := orb.Bound{Min: orb.Point{40, 38}, Max: orb.Point{50, 44}}
	a := Archive{MinZoom: 0, MaxZoom: 8, Bound: bound, Metadata: meta}
	type tile struct {
		z, x, y int
		body    []byte
	}
	var tiles []tile
	for z := 0; z <= 8; z++ {
		n := 1 << z
		for x := 0; x < n; x += 1 + z/4 {
			for y := 0; y < n; y++ {
				body := []byte("same")
				if (x+y)%3 != 0 {
					body = []byte(fmt.Sprintf("tile %d/%d/%d", z, x, y))
				}
				tiles = append(tiles, tile{z, x, y, body})
				if err := a.Add(z, x, y, body); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	slices.SortFunc(tiles, func(p, q tile) int { return cmp.Compare(TileID(p.z, p.x, p.y), TileID(q.z, q.x, q.y)) })
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.MinZoom, w.MaxZoom, w.Bound, w.Metadata = 0, 8, bound, meta
	for _, tl := range tiles {
		if err := w.Add(tl.z, tl.x, tl.y, tl.body); err != nil {
			t.Fatal(err)
		}
	}
	if w.Len() != len(tiles) || a.Len() != len(tiles) {
		t.Fatalf("Len %d and %d, want %d", w.Len(), a.Len(), len(tiles))
	}
	if err := w.Add(0, 0, 0, []byte("late")); err == nil {
		t.Error("a tile out of tile-id order was taken")
	}
	var got, want bytes.Buffer
	if _, err := w.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("the Writer wrote %d bytes, the Archive %d, not the same", got.Len(), want.Len())
	}
	if le := binary.LittleEndian; le.Uint64(got.Bytes()[48:]) == 0 {
		t.Error("no leaf directories: the test covers only a root directory")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
