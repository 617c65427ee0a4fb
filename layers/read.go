package layers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"github.com/citemap/citemap/geo"
)

// MaxFileSize bounds one input file; the whole of it is held in memory.
const MaxFileSize = 512 << 20

// ReadDir reads a dataset folder into memory: sources from
// `sources/*.json` (each with its text file beside it) and layers from
// `layers/*.geojson`. Files directly in dir are read too, so a folder of
// plain GeoJSON files imports as layers.
func ReadDir(fsys fs.FS, dir string) (*Dataset, error) {
	names, err := inputs(fsys, dir)
	if err != nil {
		return nil, err
	}
	d := NewDataset()
	var errs Problems
	for _, name := range names {
		one, err := ReadFile(fsys, name, "")
		if err != nil {
			if err := errs.gather(err); err != nil {
				return nil, err
			}
			continue
		}
		d.Merge(one)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// gather adds the problems err lists to ps, so reading goes on to report
// every bad file; any other error comes back.
func (ps *Problems) gather(err error) error {
	var more Problems
	if errors.As(err, &more) {
		*ps = append(*ps, more...)
		return nil
	}
	return err
}

// inputs lists the files of a dataset folder: .json sources and .geojson
// layers in dir, dir/sources and dir/layers, sorted.
func inputs(fsys fs.FS, dir string) ([]string, error) {
	var names []string
	for _, sub := range []string{dir, path.Join(dir, "sources"), path.Join(dir, "layers")} {
		entries, err := fs.ReadDir(fsys, sub)
		if errors.Is(err, fs.ErrNotExist) && sub != dir {
			continue
		}
		if err != nil {
			return nil, Errorf(EINVALID, "read %s: %v", sub, err)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".geojson") || strings.HasSuffix(n, ".json")) || n == "package.json" {
				continue
			}
			names = append(names, path.Join(sub, n))
		}
	}
	return names, nil
}

// OpenImport prepares an import of a dataset folder or of one file: sources
// are read whole (they are small), layers stream from their files when the
// import runs, one feature at a time. layerID names the layer of a single
// GeoJSON file.
func OpenImport(fsys fs.FS, name, layerID string) (*Import, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, Errorf(EINVALID, "%s: %v", name, err)
	}
	names := []string{name}
	if st.IsDir() {
		if names, err = inputs(fsys, name); err != nil {
			return nil, err
		}
		layerID = ""
	}
	imp := &Import{}
	var errs Problems
	for _, n := range names {
		if !strings.HasSuffix(n, ".geojson") {
			d, err := ReadFile(fsys, n, "")
			if err != nil {
				if err := errs.gather(err); err != nil {
					return nil, err
				}
				continue
			}
			imp.Sources = append(imp.Sources, d.Sources...)
			imp.Passages = append(imp.Passages, d.Passages...)
			continue
		}
		imp.Layers = append(imp.Layers, streamFile(fsys, n, layerID))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return imp, nil
}

// streamFile is a LayerImport reading a GeoJSON file as it goes.
func streamFile(fsys fs.FS, name, layerID string) LayerImport {
	ls := NewLayerStream(nil, name, layerID)
	return LayerImport{
		File: name,
		Features: func(yield func(Feature, error) bool) {
			f, err := fsys.Open(name)
			if err != nil {
				yield(Feature{}, Errorf(EINVALID, "%s: %v", name, err))
				return
			}
			defer f.Close()
			*ls = *NewLayerStream(bufio.NewReaderSize(f, 1<<20), name, layerID)
			ls.lineOf = func(off int64) (int, int) { return lineInFile(fsys, name, off) }
			for feat, err := range ls.Features() {
				if !yield(feat, err) {
					return
				}
			}
		},
		Layer: ls.Layer,
		ID:    ls.ID,
	}
}

// ReadFile reads one file: a GeoJSON FeatureCollection (`.geojson`) as a layer
// whose id is layerID, else the file's `layer.id` member, else its base name;
// or a source document (`.json`).
func ReadFile(fsys fs.FS, name, layerID string) (*Dataset, error) {
	b, err := readLimited(fsys, name)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".geojson") {
		return decodeLayer(name, b, layerID)
	}
	return decodeSource(fsys, name, b)
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, Errorf(EINVALID, "%s: %v", name, err)
	}
	if st.Size() > MaxFileSize {
		return nil, Errorf(EINVALID, "%s: %d bytes is over the limit of %d", name, st.Size(), MaxFileSize)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, Errorf(EINVALID, "%s: %v", name, err)
	}
	return b, nil
}

// jsonProblem turns a decoding error into a message with a line and column.
func jsonProblem(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(b, se.Offset)
		return fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, se)
	case errors.As(err, &te):
		line, col := position(b, te.Offset)
		return fmt.Sprintf("wrong JSON type at line %d, column %d: %s must be %s, not %s", line, col, te.Field, te.Type, te.Value)
	case errors.Is(err, errTruncated):
		return "malformed JSON: unexpected end of input"
	}
	return "malformed JSON: " + err.Error()
}

var errTruncated = errors.New("truncated")

// lineInFile reads a file up to off to find the line and column there: only
// done to report an error.
func lineInFile(fsys fs.FS, name string, off int64) (line, col int) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, off))
	return position(b, int64(len(b)))
}

func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

func unmarshal(b []byte, v any) error {
	if !json.Valid(b) {
		// Valid is cheaper than Unmarshal and tells truncation apart.
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			if strings.Contains(err.Error(), "unexpected end of JSON input") {
				return errTruncated
			}
			return err
		}
	}
	return json.Unmarshal(b, v)
}

func decodeLayer(name string, b []byte, layerID string) (*Dataset, error) {
	ls := NewLayerStream(bytes.NewReader(b), name, layerID)
	ls.lineOf = func(off int64) (int, int) { return position(b, off) }
	var feats []Feature
	var ps Problems
	for f, err := range ls.Features() {
		if err != nil {
			ps = append(ps, streamProblem(ls, err))
			continue
		}
		feats = append(feats, f)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	l := ls.Layer()
	for i := range feats {
		feats[i].setLayer(l.ID)
	}
	d := NewDataset()
	d.Files["layer:"+l.ID] = name
	d.Layers = append(d.Layers, l)
	d.Features[l.ID] = feats
	return d, nil
}

// streamProblem turns an error from a LayerStream into a Problem naming the
// file and, for a bad feature, its id and position.
func streamProblem(ls *LayerStream, err error) Problem {
	var fe *FeatureError
	if errors.As(err, &fe) {
		id := fe.ID
		if id == "" {
			id = "?"
		}
		return Problem{File: ls.Name(), Kind: "feature", ID: fmt.Sprintf("%s/%s (feature %d)", ls.Layer().ID, id, fe.Index), Message: fe.Err.Error()}
	}
	return Problem{File: ls.Name(), Kind: "layer", ID: ls.Layer().ID, Message: err.Error()}
}

// setLayer records the feature's layer on it and its claims.
func (f *Feature) setLayer(layer string) {
	f.Layer = layer
	for i := range f.Claims {
		f.Claims[i].Layer, f.Claims[i].Feature = layer, f.ID
	}
}

func decodeFeature(layer string, raw []byte) (Feature, error) {
	if f, ok := fastDecode(layer, raw); ok {
		return f, nil
	}
	return decodeGeneral(layer, raw)
}

// decodeGeneral decodes any feature, and names what is wrong with one.
func decodeGeneral(layer string, raw []byte) (Feature, error) {
	var head struct {
		ID   any    `json:"id"`
		Type string `json:"type"`
	}
	f := Feature{Layer: layer}
	if err := json.Unmarshal(raw, &head); err != nil {
		return f, errors.New(jsonProblem(raw, err))
	}
	switch id := head.ID.(type) {
	case string:
		f.ID = id
	case float64:
		// Numeric ids become strings: they travel in URLs and citations.
		f.ID = strconv.FormatFloat(id, 'f', -1, 64)
	case nil:
		return f, errors.New("feature has no id: every feature needs a stable id")
	default:
		return f, fmt.Errorf("id must be a string or a number, not %T", id)
	}
	if head.Type != "Feature" {
		return f, fmt.Errorf("type is %q, want Feature", head.Type)
	}
	gf, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		return f, fmt.Errorf("geometry: %v", err)
	}
	if gf.Geometry == nil {
		return f, errors.New("feature has no geometry")
	}
	f.Geometry = geo.Rewind(gf.Geometry)
	f.Properties = map[string]any{}
	for k, v := range gf.Properties {
		if k == "claims" {
			continue
		}
		f.Properties[k] = v
	}
	if c, ok := gf.Properties["claims"]; ok {
		cb, _ := json.Marshal(c)
		if err := json.Unmarshal(cb, &f.Claims); err != nil {
			return f, fmt.Errorf("claims must be a list of {passage, aspect, relation, basis, confidence, note}: %v", err)
		}
		for i := range f.Claims {
			f.Claims[i].Feature, f.Claims[i].Layer = f.ID, layer
		}
	}
	return f, nil
}

type sourceDoc struct {
	Source
	TextFile string `json:"text_file"`
	Passages []struct {
		ID string `json:"id"`
		Selector
	} `json:"passages"`
}

func decodeSource(fsys fs.FS, name string, b []byte) (*Dataset, error) {
	var doc sourceDoc
	if err := unmarshal(b, &doc); err != nil {
		return nil, Problems{{File: name, Kind: "source", Message: jsonProblem(b, err)}}
	}
	s := doc.Source
	if s.ID == "" {
		s.ID = strings.TrimSuffix(path.Base(name), path.Ext(name))
	}
	if doc.TextFile != "" {
		tb, err := readLimited(fsys, path.Join(path.Dir(name), doc.TextFile))
		if err != nil {
			return nil, Problems{{File: name, Kind: "source", ID: s.ID, Message: fmt.Sprintf("text_file: %v", err)}}
		}
		s.Raw = string(tb)
	}
	if s.Raw == "" {
		s.Raw = s.Text
	}
	s.Text = Normalize(s.Raw)
	d := NewDataset()
	d.Files["source:"+s.ID] = name
	var ps Problems
	for _, p := range doc.Passages {
		sel := p.Selector
		if sel.Start == 0 && sel.End == 0 && sel.Exact != "" {
			// An editor may give only the quote; the offsets follow from it.
			a, err := Anchor(s.Text, sel.Exact)
			if err != nil {
				ps = append(ps, Problem{File: name, Kind: "passage", ID: p.ID, Message: err.Error()})
				continue
			}
			sel = a
		}
		d.Passages = append(d.Passages, Passage{ID: p.ID, Source: s.ID, Selector: sel})
	}
	if len(ps) > 0 {
		return nil, ps
	}
	d.Sources = append(d.Sources, s)
	return d, nil
}

// OpenSplitImport prepares the import of one GeoJSON file whose features
// may mix geometry types: one layer per type present, named
// `{id}-points`, `{id}-lines` and `{id}-areas`. A file of one type imports
// as its own layer, as OpenImport would. The file is read once to find the
// types, then once per layer, so it is never held whole.
func OpenSplitImport(fsys fs.FS, name, layerID string) (*Import, error) {
	if !strings.HasSuffix(name, ".geojson") {
		return nil, Errorf(EINVALID, "%s: --split-geometry applies to a GeoJSON file (.geojson)", name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, Errorf(EINVALID, "%s: %v", name, err)
	}
	ls := NewLayerStream(bufio.NewReaderSize(f, 1<<20), name, layerID)
	present := map[string]bool{}
	for feat, err := range ls.Features() {
		if err != nil {
			var fe *FeatureError
			if errors.As(err, &fe) {
				continue // reported by the import itself
			}
			break
		}
		c := geo.Class(feat.Geometry)
		if c == geo.Collections {
			f.Close()
			return nil, Problems{{File: name, Kind: "feature", ID: ls.Layer().ID + "/" + feat.ID,
				Message: "is a GeometryCollection: --split-geometry splits points, lines and areas, not collections"}}
		}
		present[c] = true
	}
	f.Close()
	var classes []string
	for _, c := range []string{geo.Points, geo.Lines, geo.Areas} {
		if present[c] {
			classes = append(classes, c)
		}
	}
	if len(classes) < 2 {
		return OpenImport(fsys, name, layerID)
	}
	imp := &Import{}
	for i, class := range classes {
		li := streamFile(fsys, name, layerID)
		all, layer := li.Features, li.Layer
		reportErrors := i == 0 // a bad feature is told once, not once per layer
		li.Features = func(yield func(Feature, error) bool) {
			for feat, err := range all {
				if err != nil {
					var fe *FeatureError
					if errors.As(err, &fe) && !reportErrors {
						continue
					}
					if !yield(feat, err) {
						return
					}
					continue
				}
				if geo.Class(feat.Geometry) == class && !yield(feat, nil) {
					return
				}
			}
		}
		li.Layer = func() Layer {
			l := layer()
			l.ID += "-" + class
			l.Title += " (" + class + ")"
			return l
		}
		imp.Layers = append(imp.Layers, li)
	}
	return imp, nil
}
