package layers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/tidwall/rtree"

	"github.com/citemap/citemap/geo"
)

// Snapshot is one revision of a layer prepared for queries: each feature's
// flat properties, bound, time span and GeoJSON geometry, computed once so a
// query neither decodes WKB nor re-encodes geometry.
type Snapshot struct {
	Layer    Layer
	Features []Feature
	Flat     []map[string]any // flat properties, with source_count and passage_ids
	Bounds   []orb.Bound
	Times    []geo.Interval
	Geometry [][]byte // GeoJSON geometry objects
	Props    [][]byte // the flat properties as a JSON object
	// Queryables maps each filterable property to its JSON type.
	Queryables map[string]string
	// Types holds the geometry types of the features: what a client should
	// type the layer as.
	Types geo.TypeSet

	index rtree.RTreeG[int] // feature bounds -> position
}

// LoadSnapshot reads a layer from the store and prepares it.
func LoadSnapshot(ctx context.Context, s Reader, id string) (*Snapshot, error) {
	l, feats, ps, err := readLayer(ctx, s, id)
	if err != nil {
		return nil, err
	}
	return NewSnapshot(l, feats, ps)
}

// NewSnapshot prepares feats (in id order) for queries. The per-feature
// work runs on every core; the R-tree is filled after.
func NewSnapshot(l Layer, feats []Feature, passageSource map[string]string) (*Snapshot, error) {
	sn := &Snapshot{
		Layer: l, Features: feats,
		Flat:       make([]map[string]any, len(feats)),
		Bounds:     make([]orb.Bound, len(feats)),
		Times:      make([]geo.Interval, len(feats)),
		Geometry:   make([][]byte, len(feats)),
		Props:      make([][]byte, len(feats)),
		Queryables: map[string]string{},
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(feats)/1000))
	chunk := (len(feats) + workers - 1) / max(1, workers)
	queryables := make([]map[string]string, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			q := map[string]string{}
			queryables[w] = q
			for i := w * chunk; i < min(len(feats), (w+1)*chunk); i++ {
				if err := sn.prepare(i, passageSource, q); err != nil {
					errs[w] = err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, q := range queryables {
		for k, t := range q {
			if sn.Queryables[k] != "string" {
				sn.Queryables[k] = t
			}
		}
	}
	for i := range feats {
		sn.index.Insert(sn.Bounds[i].Min, sn.Bounds[i].Max, i)
		sn.Types.Add(feats[i].Geometry)
	}
	return sn, nil
}

// prepare computes what queries need of feature i, noting its property
// types in q.
func (sn *Snapshot) prepare(i int, passageSource map[string]string, q map[string]string) error {
	f := &sn.Features[i]
	var err error
	gf := f.Flat(passageSource)
	sn.Flat[i] = gf.Properties
	// The flat properties stand in for the stored ones: one map per
	// feature, not two, for layers of a million.
	f.Properties = gf.Properties
	if sn.Props[i], err = json.Marshal(gf.Properties); err != nil {
		return fmt.Errorf("encode properties of %s/%s: %w", sn.Layer.ID, f.ID, err)
	}
	sn.Bounds[i] = f.Geometry.Bound()
	if sn.Geometry[i], err = geojson.NewGeometry(f.Geometry).MarshalJSON(); err != nil {
		return fmt.Errorf("encode geometry of %s/%s: %w", sn.Layer.ID, f.ID, err)
	}
	from, _ := f.Properties["valid_from"].(string)
	to, _ := f.Properties["valid_to"].(string)
	if sn.Times[i], err = geo.FeatureInterval(from, to); err != nil {
		return fmt.Errorf("feature %s/%s: %w", sn.Layer.ID, f.ID, err)
	}
	for k, v := range gf.Properties {
		switch v.(type) {
		case string:
			q[k] = "string"
		case float64, int:
			if q[k] != "string" {
				q[k] = "number"
			}
		case bool:
			q[k] = "boolean"
		}
	}
	return nil
}

// PropertyNames returns every flat property name, sorted.
func (sn *Snapshot) PropertyNames() []string {
	names := make([]string, 0, len(sn.Queryables))
	for k := range sn.Queryables {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Query selects features.
type Query struct {
	BBox   []orb.Bound       // any of them; none = everywhere
	Time   *geo.Interval     // nil = any time; features without dates are open-ended
	Equals map[string]string // property = value, compared as text
}

// Search returns the positions of the features whose geometry intersects
// b, in id order: candidates from the R-tree, then an exact test.
func (sn *Snapshot) Search(b orb.Bound) []int {
	var out []int
	sn.index.Search(b.Min, b.Max, func(_, _ [2]float64, i int) bool {
		if geo.Intersects(sn.Features[i].Geometry, sn.Bounds[i], b) {
			out = append(out, i)
		}
		return true
	})
	slices.Sort(out)
	return out
}

// Index returns the position of feature id, or -1.
func (sn *Snapshot) Index(id string) int {
	i := sort.Search(len(sn.Features), func(i int) bool { return sn.Features[i].ID >= id })
	if i < len(sn.Features) && sn.Features[i].ID == id {
		return i
	}
	return -1
}
