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

	Sources  []Source  // added, or a new revision of an existing source
	Passages []Passage // added or re-anchored
	Layers   []Layer   // new layers, or changed descriptions
	Upserts  []Feature // created or replaced whole, with their claims
	Deletes  []FeatureKey
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
	// every invariant `check` enforces; otherwise nothing is written and the
	// error (EINVALID, with Problems) names each feature at fault. It costs
	// in proportion to the change, not to the layers it touches.
	Publish(ctx context.Context, c *Change) (version int, err error)
	// Versions lists every data version, oldest first.
	Versions(ctx context.Context) ([]VersionInfo, error)
	// History lists each data version that changed a feature, oldest first.
	History(ctx context.Context, layer, id string) ([]FeatureVersion, error)
	// Prune removes data versions published before t, except the latest
	// and those listed in keep; it never changes what a kept version reads.
	Prune(ctx context.Context, before time.Time, keep []int) (removed []int, err error)
}
