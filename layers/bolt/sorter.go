package bolt

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// An import's bodies are keyed by cell, so they arrive in no key order. Put
// into a large bucket in that order, every batch would dirty a page per
// body, split pages all over the tree and rewrite most of the bucket at
// every commit. Instead they are sorted: held in memory up to runBytes,
// written to a temporary file as a sorted run when that fills, and merged
// from the runs in key order at the end, so the bucket is written front to
// back, each page once.

// sorter sorts the puts given to it, spilling sorted runs to files in dir.
type sorter struct {
	dir      string
	runBytes int
	buf      []put
	bytes    int
	runs     []*os.File
	err      error // the first failure to spill, reported by merged
}

func (s *sorter) add(p put) {
	s.buf = append(s.buf, p)
	s.bytes += len(p.layer) + len(p.key) + len(p.val) + 64
	if s.bytes >= s.runBytes && s.err == nil {
		s.err = s.spill()
	}
}

func comparePuts(a, b put) int {
	if c := bytes.Compare(a.bucket, b.bucket); c != 0 {
		return c
	}
	if c := strings.Compare(a.layer, b.layer); c != 0 {
		return c
	}
	return bytes.Compare(a.key, b.key)
}

// spill writes the buffer to a new run file, sorted.
func (s *sorter) spill() (err error) {
	if len(s.buf) == 0 {
		return nil
	}
	slices.SortStableFunc(s.buf, comparePuts)
	f, err := os.CreateTemp(s.dir, ".mapserver-import-*")
	if err != nil {
		return fmt.Errorf("sort the import's bodies: %w", err)
	}
	s.runs = append(s.runs, f)
	// Unlinked at once where the system allows it, so a killed import
	// leaves nothing behind; elsewhere close removes it.
	os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [3 * binary.MaxVarintLen64]byte
	for _, p := range s.buf {
		n := binary.PutUvarint(hdr[:], uint64(len(p.bucket)))
		n += binary.PutUvarint(hdr[n:], uint64(len(p.layer)))
		n += binary.PutUvarint(hdr[n:], uint64(len(p.key)))
		w.Write(hdr[:n])
		n = binary.PutUvarint(hdr[:], uint64(len(p.val)))
		w.Write(hdr[:n])
		w.Write(p.bucket)
		w.WriteString(p.layer)
		w.Write(p.key)
		w.Write(p.val)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("sort the import's bodies: %w", err)
	}
	clear(s.buf)
	s.buf, s.bytes = s.buf[:0], 0
	return nil
}

// close removes the run files.
func (s *sorter) close() {
	for _, f := range s.runs {
		f.Close()
		os.Remove(f.Name())
	}
	s.runs = nil
	s.buf, s.bytes = nil, 0
}

// merged returns the puts in key order (for equal keys, in the order they
// were given) and empties the sorter. Without runs it sorts in memory.
func (s *sorter) merged() (*merger, error) {
	if s.err != nil {
		return nil, s.err
	}
	if len(s.runs) == 0 {
		slices.SortStableFunc(s.buf, comparePuts)
		m := &merger{mem: s.buf}
		s.buf, s.bytes = nil, 0
		return m, nil
	}
	if err := s.spill(); err != nil {
		return nil, err
	}
	m := &merger{}
	for i, f := range s.runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("sort the import's bodies: %w", err)
		}
		r := &run{r: bufio.NewReaderSize(f, 1<<20), order: i}
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if ok {
			m.h = append(m.h, r)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// merger yields puts in key order, from memory or from sorted runs.
type merger struct {
	mem []put
	h   runHeap
}

// next returns the next put; ok is false at the end. The put's slices are
// its own.
func (m *merger) next() (p put, ok bool, err error) {
	if m.h == nil {
		if len(m.mem) == 0 {
			return put{}, false, nil
		}
		p, m.mem[0] = m.mem[0], put{}
		m.mem = m.mem[1:]
		return p, true, nil
	}
	if len(m.h) == 0 {
		return put{}, false, nil
	}
	r := m.h[0]
	p = r.cur
	more, err := r.next()
	if err != nil {
		return put{}, false, err
	}
	if more {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return p, true, nil
}

// run reads one sorted run file.
type run struct {
	r     *bufio.Reader
	cur   put
	order int
}

var errRun = errors.New("sort the import's bodies: a run file is damaged")

func (r *run) next() (bool, error) {
	var lens [4]uint64
	for i := range lens {
		n, err := binary.ReadUvarint(r.r)
		if i == 0 && err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, errRun
		}
		lens[i] = n
	}
	b := make([]byte, lens[0]+lens[1]+lens[2]+lens[3])
	if _, err := io.ReadFull(r.r, b); err != nil {
		return false, errRun
	}
	p := put{}
	if lens[0] > 0 {
		p.bucket = b[:lens[0]:lens[0]]
	}
	b = b[lens[0]:]
	p.layer = string(b[:lens[1]])
	b = b[lens[1]:]
	p.key = b[:lens[2]:lens[2]]
	p.val = b[lens[2]:]
	r.cur = p
	return true, nil
}

type runHeap []*run

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := comparePuts(h[i].cur, h[j].cur); c != 0 {
		return c < 0
	}
	return h[i].order < h[j].order
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
