package edit

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/citemap/citemap/layers"
)

// changesetCache keeps every changeset in memory in front of the store:
// each write looks for open changesets, and decoding them all from the file
// every time would make writes cost in proportion to the history. It is
// right because every write of this file goes through the Service (other
// processes hand theirs to it over the control socket).
//
// It also commits drafts in groups. A draft write stages its changeset here
// while it holds the Service's lock (so the next write sees it) and then,
// outside the lock, waits until a commit holding it is on disk before it is
// answered: writes that arrive during one commit share the next, one fsync
// for all of them instead of one each in a row. Every other save commits
// what is staged first, in order. A commit that fails stops all writes
// (what is in memory may no longer be what is on disk): a restart reloads
// the file, which holds every write that was answered.
type changesetCache struct {
	store layers.Changesets
	mu    sync.Mutex
	all   map[int]layers.Changeset // nil until loaded

	// Guarded by mu.
	staged  []int // changeset ids staged and not yet committed, in order
	tickets []*ticket
	failed  error

	commitMu sync.Mutex // one commit at a time
}

// ticket is one staged write's wait for its commit.
type ticket struct {
	done bool // guarded by changesetCache.mu
	err  error
}

// batchSaver stores several changesets in one transaction.
type batchSaver interface {
	SaveChangesets(ctx context.Context, cs []*layers.Changeset) error
}

func (c *changesetCache) load(ctx context.Context) error {
	if c.all != nil {
		return nil
	}
	list, err := c.store.ListChangesets(ctx)
	if err != nil {
		return err
	}
	c.all = make(map[int]layers.Changeset, len(list))
	for _, cs := range list {
		c.all[cs.ID] = cs
	}
	return nil
}

// clone copies the slices a caller may append to or change.
func clone(cs layers.Changeset) layers.Changeset {
	cs.Edits = slices.Clone(cs.Edits)
	cs.Sources = slices.Clone(cs.Sources)
	cs.Passages = slices.Clone(cs.Passages)
	cs.NeedsReview = slices.Clone(cs.NeedsReview)
	return cs
}

func (c *changesetCache) stopped() error {
	if c.failed != nil {
		return errf(layers.EINTERNAL, "writes are stopped since a commit failed (%v): restart the server", c.failed)
	}
	return nil
}

// SaveChangeset stores cs at once, after what is staged.
func (c *changesetCache) SaveChangeset(ctx context.Context, cs *layers.Changeset) error {
	if err := c.Flush(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopped(); err != nil {
		return err
	}
	if err := c.load(ctx); err != nil {
		return err
	}
	if err := c.store.SaveChangeset(ctx, cs); err != nil {
		return err
	}
	c.all[cs.ID] = clone(*cs)
	return nil
}

// Stage keeps cs (which has an id) in memory at once and returns a
// function that waits until it is on disk. A new changeset (ID 0) is
// saved at once instead.
func (c *changesetCache) Stage(ctx context.Context, cs *layers.Changeset) (wait func() error, err error) {
	if _, ok := c.store.(batchSaver); !ok || cs.ID == 0 {
		return func() error { return nil }, c.SaveChangeset(ctx, cs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopped(); err != nil {
		return nil, err
	}
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	c.all[cs.ID] = clone(*cs)
	c.staged = append(c.staged, cs.ID)
	t := &ticket{}
	c.tickets = append(c.tickets, t)
	return func() error { return c.commit(ctx, t) }, nil
}

// Flush commits whatever is staged.
func (c *changesetCache) Flush(ctx context.Context) error {
	return c.commit(ctx, nil)
}

// commit waits until t is committed (nil: everything staged so far),
// committing the staged changesets itself when no commit under way holds
// them.
func (c *changesetCache) commit(ctx context.Context, t *ticket) error {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.mu.Lock()
	if t != nil && t.done {
		c.mu.Unlock()
		return t.err
	}
	if err := c.stopped(); err != nil || len(c.staged) == 0 {
		c.mu.Unlock()
		return err
	}
	// The latest state of each staged changeset, once, in staging order.
	var batch []*layers.Changeset
	seen := map[int]bool{}
	for i := len(c.staged) - 1; i >= 0; i-- {
		if id := c.staged[i]; !seen[id] {
			seen[id] = true
			cs := clone(c.all[id])
			batch = append(batch, &cs)
		}
	}
	slices.Reverse(batch)
	tickets := c.tickets
	c.staged, c.tickets = nil, nil
	c.mu.Unlock()

	// A client that goes away must not cancel a commit others wait for.
	err := c.store.(batchSaver).SaveChangesets(context.WithoutCancel(ctx), batch)

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed = err
		err = errf(layers.EINTERNAL, "the write was not saved: %v", err)
	}
	for _, tk := range tickets {
		tk.done, tk.err = true, err
	}
	return err
}

func (c *changesetCache) Changeset(ctx context.Context, id int) (layers.Changeset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return layers.Changeset{}, err
	}
	cs, ok := c.all[id]
	if !ok {
		return cs, errf(layers.ENOTFOUND, "changeset %d does not exist", id)
	}
	return clone(cs), nil
}

func (c *changesetCache) ListChangesets(ctx context.Context) ([]layers.Changeset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	out := make([]layers.Changeset, 0, len(c.all))
	for _, cs := range c.all {
		out = append(out, clone(cs))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// OpenChangesets returns the open changesets, newest first: what every
// write looks through, without copying the published history.
func (c *changesetCache) OpenChangesets(ctx context.Context) ([]layers.Changeset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	var out []layers.Changeset
	for _, cs := range c.all {
		if cs.State == layers.Open {
			out = append(out, clone(cs))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}
