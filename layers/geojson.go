package layers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/paulmach/orb/geojson"
)

// Evidence returns the distinct passages behind f and the distinct sources
// of its claims that are not inferred, sorted: a source from which a claim
// is only inferred is not counted as one that states it (a claim stored
// before claims had a basis counts, as it did). passageSource maps passage
// ids to source ids.
func (f Feature) Evidence(passageSource map[string]string) (passages, sources []string) {
	ps, ss := map[string]bool{}, map[string]bool{}
	for _, c := range f.Claims {
		ps[c.Passage] = true
		if src := passageSource[c.Passage]; src != "" && c.Basis != Inferred {
			ss[src] = true
		}
	}
	return sortedKeys(ps), sortedKeys(ss)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Flat encodes f as a GeoJSON feature whose properties a GIS table can show:
// scalars as they are, anything nested as JSON text, and the evidence as
// `source_count` (sources with an explicit claim) and `passage_ids` (every
// passage, ";"-separated).
func (f Feature) Flat(passageSource map[string]string) *geojson.Feature {
	props := make(geojson.Properties, len(f.Properties)+2)
	for k, v := range f.Properties {
		switch v.(type) {
		case string, float64, bool, nil, int, int64:
			props[k] = v
		default:
			b, _ := json.Marshal(v)
			props[k] = string(b)
		}
	}
	passages, sources := f.Evidence(passageSource)
	props["source_count"] = len(sources)
	props["passage_ids"] = strings.Join(passages, ";")
	return &geojson.Feature{ID: f.ID, Type: "Feature", Geometry: f.Geometry, Properties: props}
}

// PassageSources maps every stored passage id to its source id.
func PassageSources(ctx context.Context, s Reader) (map[string]string, error) {
	ps, err := s.Passages(ctx, "")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.ID] = p.Source
	}
	return m, nil
}

// readLayer reads a layer, its features and where their passages come from.
func readLayer(ctx context.Context, s Reader, id string) (Layer, []Feature, map[string]string, error) {
	l, err := s.Layer(ctx, id)
	if err != nil {
		return l, nil, nil, err
	}
	feats, err := s.Features(ctx, id)
	if err != nil {
		return l, nil, nil, err
	}
	ps, err := PassageSources(ctx, s)
	return l, feats, ps, err
}

// Link is a link member of an encoded layer.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// EncodeLayer returns a whole layer as one RFC 7946 FeatureCollection with
// its bbox and flat properties: the body of downloads and `mapserver export`.
// links, when given, ride along as a `links` foreign member (a download
// says where its QGIS style is).
func EncodeLayer(ctx context.Context, s Reader, id string, links ...Link) ([]byte, error) {
	l, feats, ps, err := readLayer(ctx, s, id)
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	if l.Count > 0 {
		fc.BBox = geojson.NewBBox(l.Bound)
	}
	fc.ExtraMembers = geojson.Properties{"name": l.ID}
	if len(links) > 0 {
		fc.ExtraMembers["links"] = links
	}
	for _, f := range feats {
		fc.Append(f.Flat(ps))
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode layer %s: %w", id, err)
	}
	return b, nil
}

// Load reads a store's whole dataset, for checking.
func Load(ctx context.Context, s Reader) (*Dataset, error) {
	d := NewDataset()
	var err error
	if d.Layers, err = s.Layers(ctx); err != nil {
		return nil, err
	}
	for _, l := range d.Layers {
		if d.Features[l.ID], err = s.Features(ctx, l.ID); err != nil {
			return nil, err
		}
	}
	if d.Sources, err = s.Sources(ctx); err != nil {
		return nil, err
	}
	if d.Passages, err = s.Passages(ctx, ""); err != nil {
		return nil, err
	}
	return d, nil
}
