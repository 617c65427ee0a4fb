package layers

import (
	"context"
	"time"
)

// Changeset states.
const (
	Open      = "open"      // drafts: seen by their author and reviewers only
	Published = "published" // made one data version
	Reverted  = "reverted"  // published, then undone by a later version
)

// Edit operations.
const (
	OpCreate  = "create"
	OpReplace = "replace"
	OpDelete  = "delete"
)

// Edit is one feature's pending change in a changeset: the published state
// it started from (Before, nil for a new feature) and the state it leaves
// (After, nil for a deletion). Several writes to one feature in one
// changeset fold into one Edit.
type Edit struct {
	Layer  string   `json:"layer"`
	ID     string   `json:"id"`
	Op     string   `json:"op"`
	Before *Feature `json:"before,omitempty"`
	After  *Feature `json:"after,omitempty"`
}

// Changeset gathers one author's writes until a reviewer publishes them as
// one data version.
type Changeset struct {
	ID      int       `json:"id"`
	Author  string    `json:"author"`
	Message string    `json:"message"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Submitted is when the author asked a reviewer to publish it. The
	// changeset stays open: its drafts stay drafts and the author's later
	// writes still join it.
	Submitted time.Time `json:"submitted,omitzero"`

	Sources  []Source  `json:"sources,omitempty"`  // new sources
	Passages []Passage `json:"passages,omitempty"` // new passages
	Edits    []Edit    `json:"edits,omitempty"`
	// NeedsReview lists the passages a new revision of their source could
	// not re-anchor with confidence: they stay on the old revision, and the
	// reviewer sees them here.
	NeedsReview []ReviewFlag `json:"needs_review,omitempty"`

	// Set when published.
	Publisher string    `json:"publisher,omitempty"`
	Version   int       `json:"version,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	// Reverts names the changeset this one undoes; RevertedBy the one that
	// undid this one.
	Reverts    int `json:"reverts,omitempty"`
	RevertedBy int `json:"reverted_by,omitempty"`
}

// Edit returns the changeset's edit of a feature, or nil.
func (c *Changeset) Edit(layer, id string) *Edit {
	for i := range c.Edits {
		if c.Edits[i].Layer == layer && c.Edits[i].ID == id {
			return &c.Edits[i]
		}
	}
	return nil
}

// ReviewFlag is a passage left on its source's old revision because the
// new one did not hold it with confidence.
type ReviewFlag struct {
	Passage  string    `json:"passage"`
	Source   string    `json:"source"`   // the revision it stays on
	Revision string    `json:"revision"` // the new revision it was not found in
	Reason   string    `json:"reason"`
	Best     *Selector `json:"best_match,omitempty"` // the closest span found, if any
}

// Changesets keeps changesets and their drafts.
type Changesets interface {
	// SaveChangeset stores c, giving it the next id when its ID is 0.
	SaveChangeset(ctx context.Context, c *Changeset) error
	// Changeset returns one changeset; ENOTFOUND when it does not exist.
	Changeset(ctx context.Context, id int) (Changeset, error)
	// ListChangesets returns every changeset, newest first.
	ListChangesets(ctx context.Context) ([]Changeset, error)
}
