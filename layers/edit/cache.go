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
type changesetCache struct {
	store layers.Changesets
	mu    sync.Mutex
	all   map[int]layers.Changeset // nil until loaded
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
	return cs
}

func (c *changesetCache) SaveChangeset(ctx context.Context, cs *layers.Changeset) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(ctx); err != nil {
		return err
	}
	if err := c.store.SaveChangeset(ctx, cs); err != nil {
		return err
	}
	c.all[cs.ID] = clone(*cs)
	return nil
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
