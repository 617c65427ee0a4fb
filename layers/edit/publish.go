package edit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb/geojson"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// Changeset returns a changeset u may see: drafts only to their author and
// reviewers, published ones to anyone.
func (s *Service) Changeset(ctx context.Context, u layers.User, id int) (layers.Changeset, error) {
	c, err := s.cs.Changeset(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State == stateDiscarded || (c.State == layers.Open && !visible(u, &c)) {
		return layers.Changeset{}, errf(layers.ENOTFOUND, "changeset %d does not exist", id)
	}
	return c, nil
}

// Changesets lists the changesets u may see, newest first.
func (s *Service) Changesets(ctx context.Context, u layers.User) ([]layers.Changeset, error) {
	all, err := s.cs.ListChangesets(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for i := range all {
		c := &all[i]
		if c.State == stateDiscarded || (c.State == layers.Open && !visible(u, c)) {
			continue
		}
		out = append(out, *c)
	}
	return out, nil
}

// Submit marks u's open changeset id as ready for review, with the message
// a reviewer and the history will read.
func (s *Service) Submit(ctx context.Context, u layers.User, id int, message string) (layers.Changeset, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return layers.Changeset{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.Changeset(ctx, u, id)
	if err != nil {
		return c, err
	}
	if c.Author != u.Name {
		return c, errf(layers.EFORBIDDEN, "changeset %d is %s's: only its author submits it", id, c.Author)
	}
	if c.State != layers.Open {
		return c, errf(layers.ECONFLICT, "changeset %d is already %s", id, c.State)
	}
	if len(c.Edits) == 0 && len(c.Sources) == 0 && len(c.Passages) == 0 {
		return c, errf(layers.EUNPROCESSABLE, "changeset %d is empty: nothing to submit", id)
	}
	if message != "" {
		c.Message = message
	}
	if strings.TrimSpace(c.Message) == "" {
		return c, errf(layers.EUNPROCESSABLE, "changeset %d has no message: say in a line what it does", id)
	}
	now := s.now().UTC()
	c.Submitted, c.Updated = now, now
	if err := s.cs.SaveChangeset(ctx, &c); err != nil {
		return layers.Changeset{}, err
	}
	return c, nil
}

// Changes lists the published (and since reverted) changesets, the most
// recently published first: the newsroom's feed.
func (s *Service) Changes(ctx context.Context) ([]layers.Changeset, error) {
	all, err := s.cs.ListChangesets(ctx)
	if err != nil {
		return nil, err
	}
	var out []layers.Changeset
	for _, c := range all {
		if c.State == layers.Published || c.State == layers.Reverted {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

func (s *Service) needPublisher() error {
	if s.pub == nil {
		return errf(layers.EINTERNAL, "this store cannot publish changesets")
	}
	return nil
}

// Publish makes changeset id one new data version. It refuses, naming
// each feature, when a feature of a cited layer would lack an explicit
// supporting claim, or when the published feature changed since the draft
// was made.
func (s *Service) Publish(ctx context.Context, u layers.User, id int, message string) (layers.Changeset, error) {
	if err := Require(u, layers.RoleReviewer); err != nil {
		return layers.Changeset{}, err
	}
	if err := s.needPublisher(); err != nil {
		return layers.Changeset{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// What a version publishes is on disk in its changeset first: a crash
	// between the two then leaves a record Recover can finish.
	if err := s.cs.Flush(ctx); err != nil {
		return layers.Changeset{}, err
	}
	c, err := s.Changeset(ctx, u, id)
	if err != nil {
		return c, err
	}
	if c.State != layers.Open {
		return c, errf(layers.ECONFLICT, "changeset %d is already %s", id, c.State)
	}
	if len(c.Edits) == 0 && len(c.Sources) == 0 && len(c.Passages) == 0 {
		return c, errf(layers.EUNPROCESSABLE, "changeset %d is empty: nothing to publish", id)
	}
	if message != "" {
		c.Message = message
	}
	ch := &layers.Change{Author: u.Name, Message: c.Message, Changeset: csID(c.ID), Sources: c.Sources, Passages: c.Passages}
	var ps layers.Problems
	layerOf := map[string]layers.Layer{}
	firstClass := map[string]string{}
	for _, e := range c.Edits {
		key := e.Layer + "/" + e.ID
		cur, err := s.published(ctx, e.Layer, e.ID)
		if err != nil {
			return c, err
		}
		if tagOf(cur) != tagOf(e.Before) {
			ps = append(ps, layers.Problem{Kind: "feature", ID: key, Message: "changed by another version since this draft was made: edit it again"})
			continue
		}
		if e.After == nil {
			ch.Deletes = append(ch.Deletes, layers.FeatureKey{Layer: e.Layer, ID: e.ID})
			continue
		}
		l, ok := layerOf[e.Layer]
		if !ok {
			if l, err = s.store.Layer(ctx, e.Layer); err != nil {
				return c, err
			}
			layerOf[e.Layer] = l
		}
		class, err := s.layerClass(ctx, l)
		if err != nil {
			return c, err
		}
		if class == "" && e.After.Geometry != nil {
			// An empty layer takes the class of its first new feature.
			if _, ok := firstClass[l.ID]; !ok {
				firstClass[l.ID] = geo.Class(e.After.Geometry)
			}
			class = firstClass[l.ID]
		}
		if m := wrongClass(l, class, e.After); m != "" {
			ps = append(ps, layers.Problem{Kind: "feature", ID: key, Message: m})
		}
		// The basemap may have changed since the draft was checked.
		cps, err := s.countryProblems(ctx, e.After)
		if err != nil {
			return c, err
		}
		ps = append(ps, cps...)
		if l.Cited() && !explicitlySupported(*e.After) {
			ps = append(ps, layers.Problem{Kind: "feature", ID: key,
				Message: fmt.Sprintf("layer %s is cited: the feature needs at least one claim with relation supports and basis explicit", e.Layer)})
		}
		ch.Upserts = append(ch.Upserts, *e.After)
	}
	if len(ps) > 0 {
		return c, unprocessable(ps, "changeset %d cannot be published: %d feature(s) at fault", id, len(ps))
	}
	v, err := s.pub.Publish(ctx, ch)
	if err != nil {
		var probs layers.Problems
		if errors.As(err, &probs) {
			return c, unprocessable(probs, "changeset %d cannot be published: %s", id, probs[0].String())
		}
		return c, err
	}
	s.carryClasses(ctx, layerOf)
	c.State, c.Version, c.Publisher, c.Time = layers.Published, v, u.Name, s.now().UTC()
	if err := s.cs.SaveChangeset(ctx, &c); err != nil {
		return c, err
	}
	s.log.Info("changeset published", "changeset", c.ID, "version", v, "by", u.Name)
	return c, nil
}

// tagOf is the content tag of f for telling whether the published feature
// is still the one a changeset saw. The store keeps a feature's claims in
// its own order (not the order a write gave them), so the claims are put
// in one order first: the same claims in another order are the same feature.
func tagOf(f *layers.Feature) string {
	if f == nil {
		return ""
	}
	g := *f
	g.Claims = slices.Clone(f.Claims)
	slices.SortStableFunc(g.Claims, func(a, b layers.Claim) int {
		return cmp.Or(cmp.Compare(a.Passage, b.Passage), cmp.Compare(a.Aspect, b.Aspect), cmp.Compare(a.Relation, b.Relation),
			cmp.Compare(a.Basis, b.Basis), cmp.Compare(a.Confidence, b.Confidence), cmp.Compare(a.Note, b.Note))
	})
	return g.Tag()
}

func explicitlySupported(f layers.Feature) bool {
	for _, c := range f.Claims {
		if c.Relation == layers.Supports && c.Basis == layers.Explicit {
			return true
		}
	}
	return false
}

// Revert publishes the inverse of a published changeset as a new data
// version, recorded as a changeset of its own. It refuses when a later
// version, or an open draft, has changed one of its features since.
func (s *Service) Revert(ctx context.Context, u layers.User, id int) (layers.Changeset, error) {
	if err := Require(u, layers.RoleReviewer); err != nil {
		return layers.Changeset{}, err
	}
	if err := s.needPublisher(); err != nil {
		return layers.Changeset{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.cs.Flush(ctx); err != nil {
		return layers.Changeset{}, err
	}
	orig, err := s.Changeset(ctx, u, id)
	if err != nil {
		return orig, err
	}
	if orig.State != layers.Published {
		return orig, errf(layers.ECONFLICT, "changeset %d is %s: only a published changeset can be reverted", id, orig.State)
	}
	var ps layers.Problems
	now := s.now().UTC()
	rev := layers.Changeset{Author: u.Name, Message: fmt.Sprintf("Revert changeset %d", id), State: stateDiscarded,
		Created: now, Updated: now, Reverts: id}
	if orig.Message != "" {
		rev.Message += ": " + orig.Message
	}
	ch := &layers.Change{Author: u.Name, Message: rev.Message}
	for _, e := range orig.Edits {
		key := e.Layer + "/" + e.ID
		cur, err := s.published(ctx, e.Layer, e.ID)
		if err != nil {
			return orig, err
		}
		if tagOf(cur) != tagOf(e.After) {
			ps = append(ps, layers.Problem{Kind: "feature", ID: key, Message: "changed by a later version: revert that first"})
			continue
		}
		if c, _, err := s.pending(ctx, e.Layer, e.ID); err != nil {
			return orig, err
		} else if c != nil {
			ps = append(ps, layers.Problem{Kind: "feature", ID: key, Message: fmt.Sprintf("has an unpublished change in changeset %d", c.ID)})
			continue
		}
		inv := layers.Edit{Layer: e.Layer, ID: e.ID, Before: e.After, After: e.Before}
		switch {
		case e.Before == nil:
			inv.Op = layers.OpDelete
			ch.Deletes = append(ch.Deletes, layers.FeatureKey{Layer: e.Layer, ID: e.ID})
		case e.After == nil:
			inv.Op = layers.OpCreate
			ch.Upserts = append(ch.Upserts, *e.Before)
		default:
			inv.Op = layers.OpReplace
			ch.Upserts = append(ch.Upserts, *e.Before)
		}
		rev.Edits = append(rev.Edits, inv)
	}
	if len(ps) > 0 {
		return orig, errors.Join(layers.Errorf(layers.ECONFLICT, "changeset %d cannot be reverted: %s %s", id, ps[0].ID, ps[0].Message), ps)
	}
	// The revert's record exists before its version, so the version can
	// name it; it stays hidden unless the version is written.
	if err := s.cs.SaveChangeset(ctx, &rev); err != nil {
		return orig, err
	}
	ch.Changeset = csID(rev.ID)
	v, err := s.pub.Publish(ctx, ch)
	if err != nil {
		var probs layers.Problems
		if errors.As(err, &probs) {
			return orig, unprocessable(probs, "changeset %d cannot be reverted: %s", id, probs[0].String())
		}
		return orig, err
	}
	rev.State, rev.Version, rev.Publisher, rev.Time = layers.Published, v, u.Name, s.now().UTC()
	if err := s.cs.SaveChangeset(ctx, &rev); err != nil {
		return orig, err
	}
	if err := s.markReverted(ctx, id, rev.ID); err != nil {
		return orig, err
	}
	s.log.Info("changeset reverted", "changeset", id, "by", rev.ID, "version", v)
	return rev, nil
}

func (s *Service) markReverted(ctx context.Context, id, by int) error {
	c, err := s.cs.Changeset(ctx, id)
	if err != nil {
		return err
	}
	c.State, c.RevertedBy = layers.Reverted, by
	return s.cs.SaveChangeset(ctx, &c)
}

// Diff is one feature's change: geometry, properties and claims before and
// after.
type Diff struct {
	Layer          string         `json:"layer"`
	ID             string         `json:"id"`
	Op             string         `json:"op"`
	GeometryBefore any            `json:"geometry_before"`
	GeometryAfter  any            `json:"geometry_after"`
	PropsBefore    map[string]any `json:"properties_before"`
	PropsAfter     map[string]any `json:"properties_after"`
	ClaimsAdded    []layers.Claim `json:"claims_added"`
	ClaimsRemoved  []layers.Claim `json:"claims_removed"`
}

// DiffOf describes an edit.
func DiffOf(e layers.Edit) Diff {
	d := Diff{Layer: e.Layer, ID: e.ID, Op: e.Op, ClaimsAdded: []layers.Claim{}, ClaimsRemoved: []layers.Claim{}}
	before, after := map[layers.Claim]bool{}, map[layers.Claim]bool{}
	if e.Before != nil {
		d.GeometryBefore = geometryJSON(e.Before)
		d.PropsBefore = e.Before.Properties
		for _, c := range e.Before.Claims {
			before[c] = true
		}
	}
	if e.After != nil {
		d.GeometryAfter = geometryJSON(e.After)
		d.PropsAfter = e.After.Properties
		for _, c := range e.After.Claims {
			after[c] = true
			if !before[c] {
				d.ClaimsAdded = append(d.ClaimsAdded, c)
			}
		}
	}
	if e.Before != nil {
		for _, c := range e.Before.Claims {
			if !after[c] {
				d.ClaimsRemoved = append(d.ClaimsRemoved, c)
			}
		}
	}
	return d
}

// geometryJSON is a feature's geometry as a GeoJSON geometry object: an
// orb geometry alone would encode as bare coordinates, which a client
// cannot tell apart (a line from a multipoint) to draw the diff.
func geometryJSON(f *layers.Feature) any {
	return geojson.NewGeometry(f.Geometry)
}

// OpEvidence is a history entry for a version that left the feature as it
// was but changed a passage it cites: re-anchored in a new revision of its
// source, or given new offsets.
const OpEvidence = "evidence"

// PassageChange is a cited passage as the versions before and after left
// it (nil where it did not exist).
type PassageChange struct {
	ID     string          `json:"id"`
	Before *layers.Passage `json:"before"`
	After  *layers.Passage `json:"after"`
}

// Version is one published state of a feature, for its history.
type Version struct {
	layers.VersionInfo
	Publisher     string `json:"publisher,omitempty"`
	ChangesetUser string `json:"changeset_author,omitempty"`
	Deleted       bool   `json:"deleted,omitempty"`
	Diff          Diff   `json:"diff"`
	// Passages lists the passages the feature cites that this version
	// changed; with Diff.Op OpEvidence it is all the version changed.
	Passages []PassageChange `json:"passages_changed,omitempty"`
}

// History lists every published version that changed a feature, oldest
// first, each with who made it, when, its changeset's message and its diff
// from the version before: the versions that wrote the feature, and those
// that changed only a passage it cites (a feature shows its quotes, so a
// re-anchored quote is a change of what it shows). A pruned version
// cannot be read; a passage change is found against the readable version
// before.
func (s *Service) History(ctx context.Context, layer, id string) ([]Version, error) {
	if err := s.needPublisher(); err != nil {
		return nil, err
	}
	fvs, err := s.pub.History(ctx, layer, id)
	if err != nil {
		return nil, err
	}
	if len(fvs) == 0 {
		return nil, errf(layers.ENOTFOUND, "feature %q has no history in layer %q", id, layer)
	}
	infos, err := s.pub.Versions(ctx)
	if err != nil {
		return nil, err
	}
	wrote := map[int]int{} // version -> index in fvs
	for i, fv := range fvs {
		wrote[fv.Version] = i
	}
	var out []Version
	var prev *layers.Feature // the feature as the last listed version left it
	var prevPassages map[string]*layers.Passage
	cur := -1 // index in fvs of the record the walk stands on
	for _, info := range infos {
		i, written := wrote[info.Version]
		if info.Version < fvs[0].Version || info.Pruned && !written {
			continue
		}
		if written {
			cur = i
		}
		if cur < 0 || fvs[cur].Deleted && !written {
			continue // not there at this version
		}
		var feat *layers.Feature
		if !fvs[cur].Deleted {
			f := fvs[cur].Feature
			feat = &f
		}
		var passages map[string]*layers.Passage // nil: unknown (pruned)
		if !info.Pruned {
			if passages, err = s.citedAt(ctx, info.Version, feat); err != nil {
				return nil, err
			}
		}
		var changed []PassageChange
		if prev != nil && feat != nil && prevPassages != nil && passages != nil {
			was := map[string]bool{}
			for _, pid := range citedIDs(prev) {
				was[pid] = true
			}
			for _, pid := range citedIDs(feat) {
				if !was[pid] {
					continue // a new claim, which the diff shows
				}
				before, after := prevPassages[pid], passages[pid]
				if !samePassage(before, after) {
					changed = append(changed, PassageChange{ID: pid, Before: before, After: after})
				}
			}
		}
		if !written && len(changed) == 0 {
			prevPassages = passages
			continue
		}
		v := Version{VersionInfo: info, Publisher: info.Author, Deleted: feat == nil, Passages: changed}
		e := layers.Edit{Layer: layer, ID: id, Before: prev, After: feat}
		switch {
		case !written:
			e.Op = OpEvidence
		case prev == nil:
			e.Op = layers.OpCreate
		case feat == nil:
			e.Op = layers.OpDelete
		default:
			e.Op = layers.OpReplace
		}
		v.Diff = DiffOf(e)
		if n, err := parseID(info.Changeset); err == nil {
			if c, err := s.cs.Changeset(ctx, n); err == nil {
				v.ChangesetUser = c.Author
				if v.Message == "" {
					v.Message = c.Message
				}
			}
		}
		out = append(out, v)
		prev, prevPassages = feat, passages
	}
	return out, nil
}

// citedAt reads, at a data version, the passages f cites.
func (s *Service) citedAt(ctx context.Context, version int, f *layers.Feature) (map[string]*layers.Passage, error) {
	out := map[string]*layers.Passage{}
	if f == nil || len(f.Claims) == 0 {
		return out, nil
	}
	r, err := s.store.At(ctx, version)
	if err != nil {
		return nil, err
	}
	for _, pid := range citedIDs(f) {
		p, err := r.Passage(ctx, pid)
		switch {
		case layers.ErrorCode(err) == layers.ENOTFOUND:
		case err != nil:
			return nil, err
		default:
			out[pid] = &p
		}
	}
	return out, nil
}

func citedIDs(f *layers.Feature) []string {
	var ids []string
	seen := map[string]bool{}
	for _, c := range f.Claims {
		if !seen[c.Passage] {
			seen[c.Passage] = true
			ids = append(ids, c.Passage)
		}
	}
	return ids
}

func samePassage(a, b *layers.Passage) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Source == b.Source && a.Selector == b.Selector && a.Verified == b.Verified
}

func parseID(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(s, "%d", &n)
	return n, err
}
