package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// ReadDir reads a dataset folder: sources from `sources/*.json` (each with
// its text file beside it) and layers from `layers/*.geojson`. Files directly
// in dir are read too, so a folder of plain GeoJSON files imports as layers.
func ReadDir(fsys fs.FS, dir string) (*Dataset, error) {
	d := NewDataset()
	var errs Problems
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
			if e.IsDir() {
				continue
			}
			name := path.Join(sub, e.Name())
			switch {
			case strings.HasSuffix(name, ".geojson"):
			case strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, "package.json"):
			default:
				continue
			}
			one, err := ReadFile(fsys, name, "")
			if err != nil {
				var ps Problems
				if errors.As(err, &ps) {
					errs = append(errs, ps...)
					continue
				}
				return nil, err
			}
			d.Merge(one)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
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

type layerDoc struct {
	Type     string            `json:"type"`
	Layer    *Layer            `json:"layer"`
	Features []json.RawMessage `json:"features"`
}

func decodeLayer(name string, b []byte, layerID string) (*Dataset, error) {
	var doc layerDoc
	if err := unmarshal(b, &doc); err != nil {
		return nil, Problems{{File: name, Kind: "layer", ID: layerID, Message: jsonProblem(b, err)}}
	}
	if doc.Type != "FeatureCollection" {
		return nil, Problems{{File: name, Kind: "layer", ID: layerID, Message: fmt.Sprintf("type is %q, want a GeoJSON FeatureCollection", doc.Type)}}
	}
	l := Layer{}
	if doc.Layer != nil {
		l = *doc.Layer
	}
	switch {
	case layerID != "":
		l.ID = layerID
	case l.ID == "":
		l.ID = strings.TrimSuffix(path.Base(name), path.Ext(name))
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
	d := NewDataset()
	d.Files["layer:"+l.ID] = name
	var ps Problems
	feats := make([]Feature, 0, len(doc.Features))
	for i, raw := range doc.Features {
		f, err := decodeFeature(l.ID, raw)
		if err != nil {
			ps = append(ps, Problem{File: name, Kind: "feature", ID: fmt.Sprintf("%s/%s (feature %d)", l.ID, f.ID, i), Message: err.Error()})
			continue
		}
		feats = append(feats, f)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	d.Layers = append(d.Layers, l)
	d.Features[l.ID] = feats
	return d, nil
}

func decodeFeature(layer string, raw []byte) (Feature, error) {
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
			return f, fmt.Errorf("claims must be a list of {passage, aspect, relation, confidence, note}: %v", err)
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
