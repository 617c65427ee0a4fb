package edit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// Result is what a feature write answers: the feature as it now stands in
// the author's changeset (nil after a delete), its tag, and the changeset.
type Result struct {
	Feature   *layers.Feature
	Tag       string
	Changeset int

	wait func() error // until the write is on disk
}

// durable returns r once its write is on disk: called after the Service's
// lock is released, so that writes arriving meanwhile share a commit.
func durable(r Result, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	if r.wait != nil {
		if err := r.wait(); err != nil {
			return Result{}, err
		}
		r.wait = nil
	}
	return r, nil
}

// openChangeset returns u's open changeset, creating it (unsaved, ID 0)
// when there is none.
func (s *Service) openChangeset(ctx context.Context, u layers.User) (*layers.Changeset, error) {
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Author == u.Name && all[i].State == layers.Open {
			return &all[i], nil
		}
	}
	now := s.now().UTC()
	return &layers.Changeset{Author: u.Name, State: layers.Open, Created: now, Updated: now}, nil
}

// OpenChangeset returns u's open changeset, created when there is none,
// with its message set when message is not "".
func (s *Service) OpenChangeset(ctx context.Context, u layers.User, message string) (layers.Changeset, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return layers.Changeset{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.openChangeset(ctx, u)
	if err != nil {
		return layers.Changeset{}, err
	}
	if message != "" || c.ID == 0 {
		if message != "" {
			c.Message = message
		}
		c.Updated = s.now().UTC()
		if err := s.cs.SaveChangeset(ctx, c); err != nil {
			return layers.Changeset{}, err
		}
	}
	return *c, nil
}

// pending returns the open changeset holding an edit of a feature, if any.
func (s *Service) pending(ctx context.Context, layer, id string) (*layers.Changeset, *layers.Edit, error) {
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if all[i].State != layers.Open {
			continue
		}
		if e := all[i].Edit(layer, id); e != nil {
			return &all[i], e, nil
		}
	}
	return nil, nil, nil
}

// published returns a feature of the latest data version, or nil.
func (s *Service) published(ctx context.Context, layer, id string) (*layers.Feature, error) {
	f, err := s.store.Feature(ctx, layer, id)
	if layers.ErrorCode(err) == layers.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// visible reports whether u may see a changeset's drafts.
func visible(u layers.User, c *layers.Changeset) bool {
	return u.Active() && (c.Author == u.Name || u.Can(layers.RoleReviewer))
}

// Head is a feature as u sees it: the draft when an open changeset u may
// see holds one, else the published feature. Found is false when it does
// not exist (or a visible draft deletes it); Draft names the changeset.
type Head struct {
	Feature *layers.Feature
	Tag     string
	Draft   int
}

// Head returns what u sees of a feature; u may be the zero User (a reader).
func (s *Service) Head(ctx context.Context, u layers.User, layer, id string) (Head, error) {
	c, e, err := s.pending(ctx, layer, id)
	if err != nil {
		return Head{}, err
	}
	if c != nil && visible(u, c) {
		h := Head{Feature: e.After, Draft: c.ID}
		if e.After != nil {
			h.Tag = e.After.Tag()
		}
		return h, nil
	}
	f, err := s.published(ctx, layer, id)
	if err != nil || f == nil {
		return Head{}, err
	}
	return Head{Feature: f, Tag: f.Tag()}, nil
}

// writableLayer returns a layer features may be written to.
func (s *Service) writableLayer(ctx context.Context, id string) (layers.Layer, error) {
	l, err := s.store.Layer(ctx, id)
	if err != nil {
		return l, err
	}
	if l.Kind == layers.KindBasemap {
		return l, errf(layers.ENOTFOUND, "collection %q does not exist", id)
	}
	return l, nil
}

// IfMatch reports whether an If-Match header value accepts tag. An empty
// header accepts anything (QGIS never sends one); weak tags never match.
func IfMatch(header, tag string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" && tag != "" {
			return true
		}
		// An item's ETag may carry a tag of the evidence it shows after a
		// dot: a write depends on the feature only.
		if tag != "" && (t == `"`+tag+`"` || t == `"`+tag+`-gz"` || strings.HasPrefix(t, `"`+tag+`.`)) {
			return true
		}
	}
	return false
}

// check verifies a feature about to be written; every problem is named.
// Claims the published feature already carries unchanged are not checked
// again for a basis: data imported before claims had one stays editable.
func (s *Service) check(ctx context.Context, c *layers.Changeset, l layers.Layer, f, published *layers.Feature) error {
	var ps layers.Problems
	id := f.Layer + "/" + f.ID
	add := func(kind, format string, args ...any) {
		ps = append(ps, layers.Problem{Kind: kind, ID: id, Message: fmt.Sprintf(format, args...)})
	}
	if !layers.ValidID(f.ID) {
		add("feature", "id %q must be a slug matching [a-z0-9][a-z0-9_-]*", f.ID)
	}
	if err := geo.Validate(f.Geometry); err != nil {
		add("feature", "%v", err)
	} else if class, err := s.layerClass(ctx, l); err != nil {
		return err
	} else if m := wrongClass(l, class, f); m != "" {
		add("feature", "%s", m)
	} else if cps, err := s.countryProblems(ctx, f); err != nil {
		return err
	} else {
		ps = append(ps, cps...)
	}
	if bad := layers.NotFlat(f.Properties); len(bad) > 0 {
		add("feature", "properties must be flat (a string, number, boolean or null): %s is not", strings.Join(bad, ", "))
	}
	if name, _ := f.Properties["name"].(string); strings.TrimSpace(name) == "" {
		add("feature", "properties.name is required")
	}
	draftPassages := map[string]bool{}
	for _, p := range c.Passages {
		draftPassages[p.ID] = true
	}
	kept := map[layers.Claim]bool{}
	if published != nil {
		for _, cl := range published.Claims {
			kept[cl] = true
		}
	}
	for i, cl := range f.Claims {
		where := fmt.Sprintf("claim %d (passage %q)", i+1, cl.Passage)
		if !draftPassages[cl.Passage] {
			if _, err := s.store.Passage(ctx, cl.Passage); layers.ErrorCode(err) == layers.ENOTFOUND {
				add("claim", "%s: passage %q does not exist", where, cl.Passage)
			} else if err != nil {
				return err
			}
		}
		if cl.Relation != layers.Supports && cl.Relation != layers.Contradicts {
			add("claim", "%s: relation %q is not supports or contradicts", where, cl.Relation)
		}
		if cl.Aspect == "" {
			add("claim", "%s: aspect is required (existence, location, status, ...)", where)
		}
		switch cl.Basis {
		case layers.Explicit:
		case "":
			if !kept[cl] {
				add("claim", "%s: basis is required: explicit (the passage states it) or inferred (with a note saying how)", where)
			}
		case layers.Inferred:
			if strings.TrimSpace(cl.Note) == "" {
				add("claim", "%s: an inferred claim needs a note saying how it is inferred", where)
			}
		default:
			add("claim", "%s: basis %q is not explicit or inferred", where, cl.Basis)
		}
	}
	if len(ps) > 0 {
		return unprocessable(ps, "feature %s cannot be written: %s", id, ps[0].Message)
	}
	return nil
}

// write records a feature's new state (after nil: deleted) in u's open
// changeset, if ifMatch accepts its current state.
func (s *Service) write(ctx context.Context, u layers.User, layer, id string, after *layers.Feature, ifMatch string, create bool) (Result, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return Result{}, err
	}
	l, err := s.writableLayer(ctx, layer)
	if err != nil {
		return Result{}, err
	}
	c, err := s.openChangeset(ctx, u)
	if err != nil {
		return Result{}, err
	}
	if after != nil {
		after.Layer = layer
		for i := range after.Claims {
			after.Claims[i].Layer, after.Claims[i].Feature = layer, after.ID
		}
		published, err := s.published(ctx, layer, id)
		if err != nil {
			return Result{}, err
		}
		if err := s.check(ctx, c, l, after, published); err != nil {
			return Result{}, err
		}
	}
	// The current state: a draft of any open changeset, else published.
	other, e, err := s.pending(ctx, layer, id)
	if err != nil {
		return Result{}, err
	}
	var current *layers.Feature
	if e != nil {
		current = e.After
	} else if current, err = s.published(ctx, layer, id); err != nil {
		return Result{}, err
	}
	tag := ""
	if current != nil {
		tag = current.Tag()
	}
	if !IfMatch(ifMatch, tag) {
		return Result{}, errf(layers.ESTALE, "feature %s/%s has changed since that ETag: read it again", layer, id)
	}
	if other != nil && other.ID != c.ID {
		return Result{}, errf(layers.ECONFLICT, "feature %s/%s has an unpublished change in changeset %d by %s", layer, id, other.ID, other.Author)
	}
	switch {
	case create && current != nil:
		return Result{}, errf(layers.ECONFLICT, "feature %s/%s already exists: PUT or PATCH it instead", layer, id)
	case !create && current == nil:
		return Result{}, errf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
	}

	if mine := c.Edit(layer, id); mine != nil {
		mine.After = after
	} else {
		before, err := s.published(ctx, layer, id)
		if err != nil {
			return Result{}, err
		}
		c.Edits = append(c.Edits, layers.Edit{Layer: layer, ID: id, Before: before, After: after})
	}
	ed := c.Edit(layer, id)
	switch {
	case ed.Before == nil && ed.After == nil:
		// Created and deleted in one changeset: nothing left to publish.
		c.Edits = removeEdit(c.Edits, layer, id)
	case ed.Before == nil:
		ed.Op = layers.OpCreate
	case ed.After == nil:
		ed.Op = layers.OpDelete
	default:
		ed.Op = layers.OpReplace
	}
	c.Updated = s.now().UTC()
	wait, err := s.cs.Stage(ctx, c)
	if err != nil {
		return Result{}, err
	}
	r := Result{Feature: after, Changeset: c.ID, wait: wait}
	if after != nil {
		r.Tag = after.Tag()
	}
	return r, nil
}

func removeEdit(edits []layers.Edit, layer, id string) []layers.Edit {
	out := edits[:0]
	for _, e := range edits {
		if e.Layer != layer || e.ID != id {
			out = append(out, e)
		}
	}
	return out
}

// Create adds a feature to layer as a draft. A feature without an id is
// given one made from its name.
func (s *Service) Create(ctx context.Context, u layers.User, layer string, f layers.Feature) (Result, error) {
	return durable(s.create(ctx, u, layer, f))
}

func (s *Service) create(ctx context.Context, u layers.User, layer string, f layers.Feature) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == "" {
		id, err := s.newID(ctx, layer, f)
		if err != nil {
			return Result{}, err
		}
		f.ID = id
	}
	return s.write(ctx, u, layer, f.ID, &f, "", true)
}

// Replace replaces a feature whole.
func (s *Service) Replace(ctx context.Context, u layers.User, layer, id string, f layers.Feature, ifMatch string) (Result, error) {
	return durable(s.replace(ctx, u, layer, id, f, ifMatch))
}

func (s *Service) replace(ctx context.Context, u layers.User, layer, id string, f layers.Feature, ifMatch string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == "" {
		f.ID = id
	}
	if f.ID != id {
		return Result{}, errf(layers.EUNPROCESSABLE, "the body's id %q is not the id in the URL (%q)", f.ID, id)
	}
	return s.write(ctx, u, layer, id, &f, ifMatch, false)
}

// Patch applies a JSON Merge Patch (RFC 7396) to the GeoJSON of the feature
// as u sees it.
func (s *Service) Patch(ctx context.Context, u layers.User, layer, id string, patch []byte, ifMatch string) (Result, error) {
	return durable(s.patch(ctx, u, layer, id, patch, ifMatch))
}

func (s *Service) patch(ctx context.Context, u layers.User, layer, id string, patch []byte, ifMatch string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := Require(u, layers.RoleEditor); err != nil {
		return Result{}, err
	}
	h, err := s.Head(ctx, u, layer, id)
	if err != nil {
		return Result{}, err
	}
	if h.Feature == nil {
		if _, err := s.writableLayer(ctx, layer); err != nil {
			return Result{}, err
		}
		return Result{}, errf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
	}
	doc, err := h.Feature.MarshalGeoJSON()
	if err != nil {
		return Result{}, err
	}
	merged, err := MergePatch(doc, patch)
	if err != nil {
		return Result{}, err
	}
	f, err := layers.DecodeFeature(layer, merged)
	if err != nil {
		return Result{}, err
	}
	if f.ID != id {
		return Result{}, errf(layers.EUNPROCESSABLE, "a patch cannot change a feature's id (%q to %q)", id, f.ID)
	}
	return s.write(ctx, u, layer, id, &f, ifMatch, false)
}

// Delete removes a feature, as a draft.
func (s *Service) Delete(ctx context.Context, u layers.User, layer, id, ifMatch string) (Result, error) {
	return durable(func() (Result, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.write(ctx, u, layer, id, nil, ifMatch, false)
	}())
}

// newID makes a feature id from its name, unique in the layer.
func (s *Service) newID(ctx context.Context, layer string, f layers.Feature) (string, error) {
	name, _ := f.Properties["name"].(string)
	base := slug(name)
	if base == "" {
		base = "feature"
	}
	for n := 1; ; n++ {
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		cur, err := s.published(ctx, layer, id)
		if err != nil {
			return "", err
		}
		c, _, err := s.pending(ctx, layer, id)
		if err != nil {
			return "", err
		}
		if cur == nil && c == nil {
			return id, nil
		}
	}
}

// slug turns a name into an id: lower-case ASCII letters and digits joined
// by '-', at most 60 characters.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(foldASCII(name)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return b.String()
}

// MergePatch applies an RFC 7396 JSON Merge Patch to doc.
func MergePatch(doc, patch []byte) ([]byte, error) {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, errf(layers.EINVALID, "%s", layers.JSONProblem(patch, err))
	}
	var d any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	return json.Marshal(mergeValue(d, p))
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}

// Drafts returns the edits of layer in the open changesets u may see, and
// the passages those changesets add (id -> source), so u's reads can show
// the layer as it would be published.
func (s *Service) Drafts(ctx context.Context, u layers.User, layer string) ([]layers.Edit, map[string]string, error) {
	if !u.Active() || u.Name == "" {
		return nil, nil, nil
	}
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return nil, nil, err
	}
	var edits []layers.Edit
	passages := map[string]string{}
	for i := range all {
		c := &all[i]
		if c.State != layers.Open || !visible(u, c) {
			continue
		}
		for _, e := range c.Edits {
			if e.Layer == layer {
				edits = append(edits, e)
			}
		}
		for _, p := range c.Passages {
			passages[p.ID] = p.Source
		}
	}
	return edits, passages, nil
}
