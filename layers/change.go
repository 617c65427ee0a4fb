package layers

import (
	"context"
	"time"
)

// Change is one published set of edits. Publishing it makes exactly one new
// data version, atomically: earlier versions stay exactly as they were, so
// a page pinned to one never changes.
type Change struct {
	Author    string // who published it (a user name), "" for an import
	Message   string // the changeset's message
	Changeset string // the changeset it publishes, "" for an import

	// Sources are added, or replace a source of the same id (a new text
	// must still hold that source's passages, unless they are re-anchored
	// in Passages too).
	Sources []Source
	// Passages are added or replace one of the same id; each quote must
	// stand verbatim at its offsets (it is stored as VerifiedExact).
	Passages []Passage
	// Layers are new layers, or new descriptions; the fields the store sets
	// (Count, Bound, Revision, Version, Temporal) are ignored.
	Layers []Layer
	// Upserts are created or replaced whole, with their claims; each names
	// its layer in Feature.Layer.
	Upserts []Feature
	// Deletes name features that must exist.
	Deletes []FeatureKey
}

// FeatureKey names one feature.
type FeatureKey struct {
	Layer string `json:"layer"`
	ID    string `json:"id"`
}

// VersionInfo describes one data version.
type VersionInfo struct {
	Version   int       `json:"version"`
	Time      time.Time `json:"time"`
	Author    string    `json:"author,omitempty"`
	Message   string    `json:"message,omitempty"`
	Changeset string    `json:"changeset,omitempty"`
	// Pruned marks a version removed by Prune: it can no longer be read,
	// but the history still names it.
	Pruned bool `json:"pruned,omitempty"`
}

// FeatureVersion is a feature as one data version left it. Deleted is set
// (and Feature is zero but for its key) when that version removed it.
type FeatureVersion struct {
	VersionInfo
	Feature Feature `json:"feature"`
	Deleted bool    `json:"deleted,omitempty"`
}

// Publisher is the write side of a Store beyond whole imports.
type Publisher interface {
	// Publish writes c as one new data version. The result must satisfy
	// the invariants import checks (quotes at their offsets, claims on
	// existing passages, valid geometry, every feature of a cited layer
	// supported); otherwise nothing is written and the error (Problems,
	// EINVALID) names each feature at fault. It costs in proportion to the
	// change, not to the layers it touches. Every layer whose features,
	// description or cited evidence (a passage's quote or selectors, a
	// source) the change touches gets a new Revision.
	Publish(ctx context.Context, c *Change) (version int, err error)
	// Versions lists every data version, oldest first; pruned ones are
	// listed with Pruned set.
	Versions(ctx context.Context) ([]VersionInfo, error)
	// History lists each data version that wrote a feature, oldest first,
	// its deletion included (ENOTFOUND for a feature never written).
	History(ctx context.Context, layer, id string) ([]FeatureVersion, error)
	// Prune makes data versions published before t unreadable, except the
	// latest and those listed in keep (EINVALID if one of those cannot be
	// read), and frees what only they held; it never changes what a
	// remaining version reads. Every version stays until pruned by hand.
	Prune(ctx context.Context, before time.Time, keep []int) (removed []int, err error)
}
