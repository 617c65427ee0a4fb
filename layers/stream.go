package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"runtime"
	"strings"
)

// LayerStream reads a GeoJSON FeatureCollection one feature at a time, so a
// layer of a million features imports in constant memory.
type LayerStream struct {
	name    string // the file, for messages
	layerID string // given by the caller; overrides the file's own
	dec     *json.Decoder
	layer   *Layer
	typ     string
	err     error
	started bool
	// lineOf, when set, turns a byte offset into a line and column for
	// messages.
	lineOf func(offset int64) (line, col int)
}

// NewLayerStream reads from r; name is the file name (for messages and the
// default layer id) and layerID, when set, names the layer.
func NewLayerStream(r io.Reader, name, layerID string) *LayerStream {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &LayerStream{name: name, layerID: layerID, dec: dec}
}

// Features yields each feature, or an error. After a JSON syntax error the
// stream stops; after an invalid feature it goes on, so every bad feature is
// reported.
func (ls *LayerStream) Features() iter.Seq2[Feature, error] {
	return func(yield func(Feature, error) bool) {
		if ls.started {
			yield(Feature{}, errors.New("layer stream read twice"))
			return
		}
		ls.started = true
		fail := func(err error) {
			ls.err = err
			yield(Feature{}, err)
		}
		if err := ls.expectDelim('{'); err != nil {
			fail(err)
			return
		}
		for ls.dec.More() {
			tok, err := ls.dec.Token()
			if err != nil {
				fail(ls.syntax(err))
				return
			}
			key, _ := tok.(string)
			switch key {
			case "type":
				if err := ls.dec.Decode(&ls.typ); err != nil {
					fail(ls.syntax(err))
					return
				}
				if ls.typ != "FeatureCollection" {
					fail(fmt.Errorf("type is %q, want a GeoJSON FeatureCollection", ls.typ))
					return
				}
			case "layer":
				var l Layer
				if err := ls.dec.Decode(&l); err != nil {
					fail(ls.syntax(err))
					return
				}
				ls.layer = &l
			case "features":
				if err := ls.expectDelim('['); err != nil {
					fail(err)
					return
				}
				stopped, err := ls.features(yield)
				if stopped {
					return
				}
				if err != nil {
					fail(err)
					return
				}
				if err := ls.expectDelim(']'); err != nil {
					fail(err)
					return
				}
			default:
				var skip json.RawMessage // bbox, name, crs, ...: not ours
				if err := ls.dec.Decode(&skip); err != nil {
					fail(ls.syntax(err))
					return
				}
			}
		}
		if err := ls.expectDelim('}'); err != nil {
			fail(err)
			return
		}
		if tok, err := ls.dec.Token(); err != io.EOF {
			fail(fmt.Errorf("malformed JSON %s: unexpected %v after the FeatureCollection", ls.where(ls.dec.InputOffset()), tokenOr(tok, err)))
			return
		}
		if ls.typ != "FeatureCollection" {
			fail(fmt.Errorf("type is %q, want a GeoJSON FeatureCollection", ls.typ))
		}
	}
}

// decodeChunk is how many features are decoded together.
const decodeChunk = 256

// chunk is a run of features decoded on a goroutine of its own.
type chunk struct {
	first int // the index of its first feature
	raws  []json.RawMessage
	feats []Feature
	errs  []error
	done  chan struct{}
	err   error // a syntax error after the chunk's features: the stream ends
}

func (c *chunk) decode() {
	c.feats, c.errs = make([]Feature, len(c.raws)), make([]error, len(c.raws))
	for i, raw := range c.raws {
		f, err := decodeFeature("", raw)
		if err != nil {
			err = &FeatureError{Index: c.first + i, ID: f.ID, Err: err}
		}
		c.feats[i], c.errs[i] = f, err
	}
	c.raws = nil
	close(c.done)
}

// features yields the elements of the features array, in order. Decoding
// a feature costs several times reading its bytes, so one goroutine reads
// the array in chunks and each chunk is decoded on a goroutine of its own,
// a few chunks ahead of the caller. stopped reports that yield asked to
// stop; err is a syntax error that ends the stream.
func (ls *LayerStream) features(yield func(Feature, error) bool) (stopped bool, err error) {
	ahead := 2 * runtime.GOMAXPROCS(0)
	chunks := make(chan *chunk, ahead)
	slots := make(chan struct{}, ahead) // chunks being decoded or waiting
	quit := make(chan struct{})
	go func() {
		defer close(chunks)
		n := 0
		for {
			select {
			case <-quit:
				return
			default:
			}
			c := &chunk{first: n, done: make(chan struct{})}
			for len(c.raws) < decodeChunk && ls.dec.More() {
				var raw json.RawMessage
				if err := ls.dec.Decode(&raw); err != nil {
					c.err = ls.syntax(err)
					break
				}
				c.raws = append(c.raws, raw)
			}
			n += len(c.raws)
			if len(c.raws) == 0 && c.err == nil {
				return
			}
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			go c.decode()
			select {
			case chunks <- c:
			case <-quit:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	defer func() {
		close(quit)
		for range chunks { // the reader is done with the decoder
		}
	}()
	for c := range chunks {
		<-c.done
		<-slots
		for i := range c.feats {
			if !yield(c.feats[i], c.errs[i]) {
				return true, nil
			}
		}
		if c.err != nil {
			return false, c.err
		}
	}
	return false, nil
}

// FeatureError is a problem with one feature of a stream.
type FeatureError struct {
	Index int
	ID    string
	Err   error
}

func (e *FeatureError) Error() string { return e.Err.Error() }
func (e *FeatureError) Unwrap() error { return e.Err }

// Layer describes the layer read, once Features has been consumed: its
// `layer` member, the caller's layer id, or the file's name.
func (ls *LayerStream) Layer() Layer {
	l := Layer{}
	if ls.layer != nil {
		l = *ls.layer
	}
	switch {
	case ls.layerID != "":
		l.ID = ls.layerID
	case l.ID == "":
		l.ID = strings.TrimSuffix(path.Base(ls.name), path.Ext(ls.name))
	}
	if l.Kind == "" {
		l.Kind = KindOther
		if validKind(l.ID) {
			l.Kind = l.ID
		}
	}
	if l.Title == "" {
		l.Title = l.ID
	}
	// A file without a `layer` member is plain GeoJSON: it may come without
	// evidence, and then imports as an uncited layer.
	l.Plain = ls.layer == nil
	return l
}

// ID returns the layer's id once the stream has decided it: the caller's id,
// or the `layer` member's when it came before the features; "" until then.
func (ls *LayerStream) ID() string {
	switch {
	case ls.layerID != "":
		return ls.layerID
	case ls.layer != nil && ls.layer.ID != "":
		return ls.layer.ID
	}
	return ""
}

// Name is the stream's file name.
func (ls *LayerStream) Name() string { return ls.name }

func (ls *LayerStream) expectDelim(want json.Delim) error {
	tok, err := ls.dec.Token()
	if err != nil {
		return ls.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("malformed GeoJSON %s: expected %q, found %v", ls.where(ls.dec.InputOffset()), string(want), tok)
	}
	return nil
}

func (ls *LayerStream) syntax(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("malformed JSON: unexpected end of input %s", ls.where(ls.dec.InputOffset()))
	}
	off := ls.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	return fmt.Errorf("malformed JSON %s: %v", ls.where(off), err)
}

// where names a byte offset as a line and column when it can.
func (ls *LayerStream) where(off int64) string {
	if ls.lineOf != nil {
		line, col := ls.lineOf(off)
		return fmt.Sprintf("at line %d, column %d", line, col)
	}
	return fmt.Sprintf("near byte %d", off)
}

func tokenOr(tok json.Token, err error) any {
	if err != nil {
		return err
	}
	return tok
}
