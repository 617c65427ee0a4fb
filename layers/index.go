package layers

import (
	"context"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
)

// Body is one feature as the read path serves it: written by the store at
// import and publish, read from the file without decoding the layer. Its
// byte slices belong to the read transaction that returned it.
type Body struct {
	ID    string
	Bound orb.Bound
	// From and To are the feature's valid_from and valid_to ("" = open).
	From, To string
	// Geometry is the GeoJSON geometry object; Properties the flat
	// properties (Feature.Flat) as a JSON object, with source_count and
	// passage_ids, compact and escaped as json.Marshal writes it (a
	// filter reads it as such).
	Geometry, Properties []byte
	// Passages are the distinct passages its claims cite, sorted.
	Passages []string
	// WKB is the geometry, for exact tests.
	WKB []byte
}

// LayerIndex is one layer of one data version, read inside a single read
// transaction: a spatial index and the stored bodies.
type LayerIndex interface {
	Layer() Layer
	// Queryables maps each flat property to its JSON type.
	Queryables() map[string]string
	// Types holds the geometry types of the features.
	Types() geo.TypeSet
	// Search calls fn, in no set order, for every feature whose bound
	// intersects b, until fn returns false.
	Search(b orb.Bound, fn func(id string, bound orb.Bound) bool) error
	// Body reads one feature's body; ok is false when the layer lacks it.
	Body(id string) (b Body, ok bool, err error)
	// Scan calls fn for every body in id order, from the first id >= from,
	// until fn returns false.
	Scan(from string, fn func(Body) bool) error
	// Attributes is Scan without the geometry: each Body has its ID,
	// Bound, From, To and Properties, and no Geometry, WKB or Passages.
	// A filter, a count or an offset over a large layer reads these, a
	// few dozen bytes a feature, instead of every geometry.
	Attributes(from string, fn func(Body) bool) error
}

// Indexed is a Reader that keeps a spatial index and each feature's encoded
// body: a query reads what it touches, not the whole layer.
type Indexed interface {
	// ReadIndex runs fn with layer id of the reader's data version, in one
	// read transaction; what fn is given is only valid until it returns.
	ReadIndex(ctx context.Context, id string, fn func(LayerIndex) error) error
}
