// Package layers is citemap's domain: layers of features, the sources behind
// them, the passages quoted from those sources and the claims that tie a
// passage to a feature. It defines the Store interface the adapters implement
// and the invariants every write and `mapserver check` enforce.
package layers

import (
	"context"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
)

// The layer kinds. Every kind but KindBasemap is a collection of cited features.
const (
	KindBorders   = "borders"
	KindBases     = "bases"
	KindCorridors = "corridors"
	KindDisputed  = "disputed"
	KindEvents    = "events"
	KindBasemap   = "basemap"
	KindCountries = "countries" // country areas
	KindContext   = "context"   // features with only inferred support: shown muted, uncited
	KindOther     = "other"     // a layer imported without a kind of its own
)

// Claim relations.
const (
	Supports    = "supports"
	Contradicts = "contradicts"
)

// Claim bases: how directly the passage backs the claim.
const (
	// Explicit: the passage names the feature (or one of its aliases) and
	// states this aspect.
	Explicit = "explicit"
	// Inferred: the reader must infer it; the claim's note says how.
	Inferred = "inferred"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,127}$`)

// ValidID reports whether id can name a layer, feature, source or passage: it
// appears in URLs and citations, so it is a short lower-case slug.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Layer describes one collection of features.
type Layer struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
	Licence     string `json:"licence"`
	Attribution string `json:"attribution"`
	// ContextOf names the cited layer a context layer (KindContext) belongs
	// to: the features moved out of it because their support is only inferred.
	ContextOf string `json:"context_of,omitempty"`

	// Plain is set on a layer read from a GeoJSON file without a `layer`
	// member: such a file may carry no evidence at all.
	Plain bool `json:"-"`
	// Uncited marks a layer imported without any evidence: shown as such,
	// and flagged by `mapserver check`.
	Uncited bool `json:"uncited,omitempty"`

	// Set by the store.
	Count    int       `json:"count"`
	Bound    orb.Bound `json:"bound"`
	Revision string    `json:"revision"` // changes whenever the layer's content does
	Version  int       `json:"version"`  // the data version that last changed the layer
	Temporal [2]string `json:"temporal"` // earliest valid_from and latest valid_to, "" when open
}

// Cited reports whether the layer's features must carry claims.
func (l Layer) Cited() bool {
	return l.Kind != KindBasemap && l.Kind != KindContext && !l.Uncited
}

// Feature is one mapped thing and the claims behind it.
type Feature struct {
	ID         string         `json:"id"`
	Layer      string         `json:"layer"`
	Geometry   orb.Geometry   `json:"-"`
	Properties map[string]any `json:"properties"`
	Claims     []Claim        `json:"claims"`
}

// Name returns the feature's name property, or its id.
func (f Feature) Name() string {
	if s, ok := f.Properties["name"].(string); ok && s != "" {
		return s
	}
	return f.ID
}

// Claim ties a feature to a passage: which aspect of the feature the passage
// backs, and whether it supports or contradicts it.
type Claim struct {
	Feature    string `json:"feature"`
	Layer      string `json:"layer"`
	Passage    string `json:"passage"`
	Aspect     string `json:"aspect"`
	Relation   string `json:"relation"`
	Basis      string `json:"basis,omitempty"` // Explicit or Inferred
	Confidence string `json:"confidence,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Source is one document. Metadata the document does not state stays empty.
type Source struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	Author    string `json:"author"`
	Language  string `json:"language"`
	Published string `json:"published"`
	URL       string `json:"url"`
	Retrieved string `json:"retrieved"`
	SHA256    string `json:"sha256"`
	BodyEnd   int    `json:"body_end"`
	Note      string `json:"note"`
	Text      string `json:"text"` // normalized
	Raw       string `json:"raw"`  // as received
}

// Label is how a source is named to a reader. A source that states no title
// is named by its opening words, never by a made-up title.
func (s Source) Label() string {
	if s.Title != "" {
		return s.Title
	}
	words := strings.Fields(s.Text)
	opening := strings.Join(words[:min(len(words), 8)], " ")
	if len(words) > 8 {
		opening += "…"
	}
	label := "Untitled: “" + opening + "”"
	if s.Publisher != "" {
		label += " (" + s.Publisher + ")"
	}
	return label
}

// Passage is a quoted span of a source.
type Passage struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Selector
	Verified string `json:"verified"` // VerifiedExact, VerifiedFuzzy or Orphaned
}

// FeatureRef names a feature from elsewhere (a passage's list of features).
type FeatureRef struct {
	Layer   string `json:"layer"`
	Feature string `json:"feature"`
	Name    string `json:"name"`
}

// Reader reads one data version of the dataset: its layers and features,
// and the claims, passages and sources as that version held them. Reads
// return copies the caller owns.
type Reader interface {
	// Version is the data version read: 0 for an empty store.
	Version(ctx context.Context) (int, error)

	Layers(ctx context.Context) ([]Layer, error)
	Layer(ctx context.Context, id string) (Layer, error)
	// Features returns every feature of a layer in id order, with claims.
	Features(ctx context.Context, layer string) ([]Feature, error)
	Feature(ctx context.Context, layer, id string) (Feature, error)

	Sources(ctx context.Context) ([]Source, error)
	Source(ctx context.Context, id string) (Source, error)
	// Passages returns the passages of one source, or of all when source is "".
	Passages(ctx context.Context, source string) ([]Passage, error)
	Passage(ctx context.Context, id string) (Passage, error)
	// PassageFeatures returns every feature a passage backs.
	PassageFeatures(ctx context.Context, passage string) ([]FeatureRef, error)
	// Claims returns every claim, ordered by layer, feature, passage.
	Claims(ctx context.Context) ([]Claim, error)
}

// Store holds the dataset: the latest data version, and every earlier one.
type Store interface {
	Reader
	// At reads the layers as they were at a data version, so a page that
	// pinned it never changes. ENOTFOUND for a version that never existed.
	At(ctx context.Context, version int) (Reader, error)
	// Import writes a new data version: layers it names are replaced whole,
	// sources and passages added or replaced (earlier versions keep theirs).
	// Features stream in batches, but
	// the new version appears at once or not at all: if anything breaks an
	// invariant, or the process dies, the store holds what it held before,
	// and the error lists every problem. progress, when set, is told how many
	// features have been read.
	Import(ctx context.Context, imp *Import, progress func(features int)) (version int, err error)
}
