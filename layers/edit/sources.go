package edit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/article"
	"github.com/citemap/citemap/layers/places"
)

// SourceInput is a new article as an editor gives it: metadata only as
// stated, and either its text or its HTML.
type SourceInput struct {
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	Author    string `json:"author"`
	URL       string `json:"url"`
	Published string `json:"published"`
	Language  string `json:"language"`
	Text      string `json:"text"`
	HTML      string `json:"html"`
}

// FindSource returns a source u may see: published, or a draft of a
// changeset u may see (with its changeset's id).
func (s *Service) FindSource(ctx context.Context, u layers.User, id string) (layers.Source, int, error) {
	src, err := s.store.Source(ctx, id)
	if err == nil || layers.ErrorCode(err) != layers.ENOTFOUND {
		return src, 0, err
	}
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return src, 0, err
	}
	for i := range all {
		c := &all[i]
		if c.State != layers.Open || !visible(u, c) {
			continue
		}
		for _, d := range c.Sources {
			if d.ID == id {
				return d, c.ID, nil
			}
		}
	}
	return src, 0, errf(layers.ENOTFOUND, "source %q does not exist", id)
}

// readSource builds a source from what an editor gives: metadata as stated,
// the text normalized (HTML reduced to the article's text first), the raw
// input kept.
func readSource(in SourceInput) (layers.Source, error) {
	src := layers.Source{Title: in.Title, Publisher: in.Publisher, Author: in.Author, URL: in.URL,
		Published: in.Published, Language: in.Language}
	switch {
	case in.Text != "" && in.HTML != "":
		return src, errf(layers.EUNPROCESSABLE, "give the article as text or as html, not both")
	case in.Text != "":
		src.Raw, src.Text = in.Text, layers.Normalize(in.Text)
	case in.HTML != "":
		// Readability keeps the article and drops scripts, styles and the
		// site around it; the HTML is kept as received.
		a, err := article.Text([]byte(in.HTML), in.URL)
		if errors.Is(err, article.ErrTooLarge) {
			return src, errf(layers.ETOOLARGE, "the html is %d bytes; the limit is %d (8 MiB)", len(in.HTML), article.MaxHTML)
		}
		if err != nil {
			return src, errf(layers.EUNPROCESSABLE, "%v", err)
		}
		src.Raw, src.Text = in.HTML, layers.Normalize(a.Text)
	default:
		return src, errf(layers.EUNPROCESSABLE, "the article needs its text (or html)")
	}
	if strings.TrimSpace(src.Text) == "" {
		return src, errf(layers.EUNPROCESSABLE, "the article has no text")
	}
	src.SHA256 = layers.TextHash(src.Text)
	return src, nil
}

// nameSource gives src its id, the next number and its hash, unless its
// text is already stored or drafted (ECONFLICT naming that source).
func (s *Service) nameSource(ctx context.Context, src *layers.Source) error {
	published, err := s.store.Sources(ctx)
	if err != nil {
		return err
	}
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return err
	}
	next := 0
	check := func(o layers.Source) error {
		if o.SHA256 == src.SHA256 || layers.TextHash(o.Text) == src.SHA256 {
			return errf(layers.ECONFLICT, "this text is already source %s", o.ID)
		}
		if n, ok := sourceNumber(o.ID); ok && n >= next {
			next = n + 1
		}
		return nil
	}
	for _, o := range published {
		if err := check(o); err != nil {
			return err
		}
	}
	for _, c := range all {
		if c.State != layers.Open {
			continue
		}
		for _, o := range c.Sources {
			if err := check(o); err != nil {
				return err
			}
		}
	}
	src.ID = fmt.Sprintf("%03d_%s", next, src.SHA256[:16])
	return nil
}

// AddSource stores a new article as a draft in u's changeset. The same
// text posted again is ECONFLICT naming the source that has it.
func (s *Service) AddSource(ctx context.Context, u layers.User, in SourceInput) (layers.Source, int, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return layers.Source{}, 0, err
	}
	src, err := readSource(in)
	if err != nil {
		return src, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nameSource(ctx, &src); err != nil {
		return src, 0, err
	}
	c, err := s.openChangeset(ctx, u)
	if err != nil {
		return src, 0, err
	}
	c.Sources = append(c.Sources, src)
	c.Updated = s.now().UTC()
	if err := s.cs.SaveChangeset(ctx, c); err != nil {
		return src, 0, err
	}
	return src, c.ID, nil
}

// Reanchored is a passage moved to a source's new revision, with how sure
// the match is (1: the quote stands unchanged).
type Reanchored struct {
	layers.Passage
	Score float64 `json:"score"`
}

// Review is a passage that could not be re-anchored with confidence: it
// keeps pointing at the old revision until an editor decides.
type Review struct {
	layers.Passage
	Reason string           `json:"reason"`
	Best   *layers.Selector `json:"best_match,omitempty"`
}

// Revision is what adding a corrected article did.
type Revision struct {
	Source      layers.Source
	Changeset   int
	Reanchored  []Reanchored
	NeedsReview []Review
}

// AddRevision stores a corrected article as a new revision of a published
// source: a source of its own (its note names the one it revises), the old
// one kept as it was. Each passage of the old revision is re-anchored in
// the new text (exactly, then by its context, then approximately); those
// found with confidence move to the new revision, the others stay on the
// old one and are returned for review. Nothing moves silently: all of it is
// a draft in u's changeset.
func (s *Service) AddRevision(ctx context.Context, u layers.User, sourceID string, in SourceInput) (Revision, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return Revision{}, err
	}
	old, err := s.store.Source(ctx, sourceID)
	if err != nil {
		return Revision{}, err
	}
	src, err := readSource(in)
	if err != nil {
		return Revision{}, err
	}
	// Metadata not given again is the old revision's.
	for _, f := range []struct {
		dst *string
		old string
	}{{&src.Title, old.Title}, {&src.Publisher, old.Publisher},
		{&src.Author, old.Author}, {&src.URL, old.URL}, {&src.Published, old.Published}, {&src.Language, old.Language}} {
		if *f.dst == "" {
			*f.dst = f.old
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nameSource(ctx, &src); err != nil {
		return Revision{}, err
	}
	src.Note = "Revision of source " + old.ID + "."
	ps, err := s.store.Passages(ctx, old.ID)
	if err != nil {
		return Revision{}, err
	}
	c, err := s.openChangeset(ctx, u)
	if err != nil {
		return Revision{}, err
	}
	rev := Revision{Source: src, Reanchored: []Reanchored{}, NeedsReview: []Review{}}
	c.Sources = append(c.Sources, src)
	for _, p := range ps {
		sel, score, ok := layers.Reanchor(src.Text, p.Selector)
		if !ok {
			r := Review{Passage: p, Reason: "not found in the new text with confidence"}
			if sel.End > sel.Start {
				r.Best = &sel
				r.Reason = fmt.Sprintf("best match scores %.2f, under %.2f", score, layers.ReanchorThreshold)
			}
			rev.NeedsReview = append(rev.NeedsReview, r)
			c.NeedsReview = append(c.NeedsReview, layers.ReviewFlag{Passage: p.ID, Source: p.Source, Revision: src.ID, Reason: r.Reason, Best: r.Best})
			continue
		}
		moved := layers.Passage{ID: p.ID, Source: src.ID, Selector: sel, Verified: layers.VerifiedExact}
		c.Passages = slices.DeleteFunc(c.Passages, func(x layers.Passage) bool { return x.ID == p.ID })
		c.Passages = append(c.Passages, moved)
		rev.Reanchored = append(rev.Reanchored, Reanchored{Passage: moved, Score: score})
	}
	c.Updated = s.now().UTC()
	if err := s.cs.SaveChangeset(ctx, c); err != nil {
		return Revision{}, err
	}
	rev.Changeset = c.ID
	return rev, nil
}

// sourceNumber reads the leading number of a source id ("004_…" is 4).
func sourceNumber(id string) (int, bool) {
	num, _, ok := strings.Cut(id, "_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// PassageInput places a quote: by its exact text (with a prefix when it
// occurs more than once), or by its code-point offsets.
type PassageInput struct {
	Exact  string `json:"exact"`
	Prefix string `json:"prefix"`
	Start  *int   `json:"start"`
	End    *int   `json:"end"`
}

// AddPassage quotes a span of a source u may see, as a draft in u's
// changeset. The same span quoted again returns the passage that has it.
func (s *Service) AddPassage(ctx context.Context, u layers.User, sourceID string, in PassageInput) (layers.Passage, int, bool, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return layers.Passage{}, 0, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src, _, err := s.FindSource(ctx, u, sourceID)
	if err != nil {
		return layers.Passage{}, 0, false, err
	}
	sel, err := locate(src.Text, in)
	if err != nil {
		return layers.Passage{}, 0, false, err
	}
	if src.BodyEnd > 0 && sel.End > src.BodyEnd {
		return layers.Passage{}, 0, false, errf(layers.EUNPROCESSABLE, "the quote ends at %d, after the article body (%d): boilerplate is not evidence", sel.End, src.BodyEnd)
	}
	// Existing passages of the source, published and drafts, number the
	// new one and catch a repeat.
	existing, err := s.store.Passages(ctx, sourceID)
	if err != nil && layers.ErrorCode(err) != layers.ENOTFOUND {
		return layers.Passage{}, 0, false, err
	}
	all, err := s.cs.OpenChangesets(ctx)
	if err != nil {
		return layers.Passage{}, 0, false, err
	}
	for _, c := range all {
		if c.State != layers.Open {
			continue
		}
		for _, p := range c.Passages {
			if p.Source == sourceID {
				existing = append(existing, p)
			}
		}
	}
	c, err := s.openChangeset(ctx, u)
	if err != nil {
		return layers.Passage{}, 0, false, err
	}
	num, _ := sourceNumber(sourceID)
	prefix := fmt.Sprintf("p%03d-", num)
	seq := 0
	for _, p := range existing {
		if p.Start == sel.Start && p.End == sel.End {
			return p, c.ID, false, nil
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(p.ID, prefix)); err == nil && strings.HasPrefix(p.ID, prefix) && n > seq {
			seq = n
		}
	}
	// Passage ids are unique across sources: when two sources share a
	// number (two drafts at once), the hash in the source id tells them apart.
	id := fmt.Sprintf("%s%02d", prefix, seq+1)
	taken := func(id string) bool {
		if _, err := s.store.Passage(ctx, id); err == nil {
			return true
		}
		for _, c := range all {
			for _, p := range c.Passages {
				if p.ID == id && c.State == layers.Open {
					return true
				}
			}
		}
		return false
	}
	if taken(id) {
		_, h, _ := strings.Cut(sourceID, "_")
		id = fmt.Sprintf("p%.8s-%02d", h, seq+1)
	}
	p := layers.Passage{ID: id, Source: sourceID, Selector: sel, Verified: layers.VerifiedExact}
	c.Passages = append(c.Passages, p)
	c.Updated = s.now().UTC()
	if err := s.cs.SaveChangeset(ctx, c); err != nil {
		return layers.Passage{}, 0, false, err
	}
	return p, c.ID, true, nil
}

// locate computes a passage's selector in text.
func locate(text string, in PassageInput) (layers.Selector, error) {
	runes := []rune(text)
	if in.Start != nil || in.End != nil {
		if in.Start == nil || in.End == nil {
			return layers.Selector{}, errf(layers.EUNPROCESSABLE, "give both start and end, or the exact quote")
		}
		st, en := *in.Start, *in.End
		if st < 0 || en > len(runes) || st >= en {
			return layers.Selector{}, errf(layers.EUNPROCESSABLE, "start %d and end %d are not a span of the text (0 to %d code points)", st, en, len(runes))
		}
		sel := selector(runes, st, en)
		if in.Exact != "" && in.Exact != sel.Exact {
			return layers.Selector{}, errf(layers.EUNPROCESSABLE, "the text at %d-%d is %q, not the exact quote given", st, en, sel.Exact)
		}
		return sel, nil
	}
	if in.Exact == "" {
		return layers.Selector{}, errf(layers.EUNPROCESSABLE, "give the exact quote, or its start and end")
	}
	exact := layers.Normalize(in.Exact)
	if exact == "" {
		return layers.Selector{}, errf(layers.EUNPROCESSABLE, "the quote is only white space")
	}
	var hits []int // code-point starts
	for i := 0; ; {
		j := strings.Index(text[i:], exact)
		if j < 0 {
			break
		}
		hits = append(hits, utf8.RuneCountInString(text[:i+j]))
		i += j + 1
		for i < len(text) && !utf8.RuneStart(text[i]) {
			i++
		}
	}
	if len(hits) == 0 {
		return layers.Selector{}, errf(layers.EUNPROCESSABLE, "the quote is not in the source's text: %q", clip(exact))
	}
	n := utf8.RuneCountInString(exact)
	if len(hits) > 1 {
		if in.Prefix == "" {
			return layers.Selector{}, errf(layers.EUNPROCESSABLE, "the quote occurs %d times in the text: give a prefix (the words just before it) to tell them apart", len(hits))
		}
		var keep []int
		for _, h := range hits {
			if strings.HasSuffix(string(runes[:h]), in.Prefix) {
				keep = append(keep, h)
			}
		}
		if len(keep) != 1 {
			return layers.Selector{}, errf(layers.EUNPROCESSABLE, "the quote occurs %d times and the prefix %q matches %d of them", len(hits), clip(in.Prefix), len(keep))
		}
		hits = keep
	}
	return selector(runes, hits[0], hits[0]+n), nil
}

func selector(r []rune, start, end int) layers.Selector {
	return layers.Selector{
		Exact:  string(r[start:end]),
		Prefix: string(r[max(0, start-layers.ContextLen):start]),
		Suffix: string(r[end:min(len(r), end+layers.ContextLen)]),
		Start:  start,
		End:    end,
	}
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// Suggestions finds the places a source u may see mentions, with the
// dataset's features (of layers of at most PlaceLayerMax features) and the
// bundled gazetteer as candidates.
func (s *Service) Suggestions(ctx context.Context, u layers.User, sourceID string) ([]places.Suggestion, error) {
	src, _, err := s.FindSource(ctx, u, sourceID)
	if err != nil {
		return nil, err
	}
	m, err := s.matcher(ctx)
	if err != nil {
		return nil, err
	}
	out := m.Suggest(src.Text)
	if out == nil {
		out = []places.Suggestion{}
	}
	return out, nil
}

// matcher returns the place matcher of the latest data version, built once
// per version.
func (s *Service) matcher(ctx context.Context) (*places.Matcher, error) {
	v, err := s.store.Version(ctx)
	if err != nil {
		return nil, err
	}
	s.places.Lock()
	defer s.places.Unlock()
	if s.places.m != nil && s.places.version == v {
		return s.places.m, nil
	}
	ls, err := s.store.Layers(ctx)
	if err != nil {
		return nil, err
	}
	var feats []layers.Feature
	for _, l := range ls {
		if l.Kind == layers.KindBasemap || l.Count > s.placeLayerMax {
			continue
		}
		fs, err := s.store.Features(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		feats = append(feats, fs...)
	}
	gaz, err := places.Bundled()
	if err != nil {
		return nil, err
	}
	m, err := places.New(feats, gaz, places.Options{})
	if err != nil {
		return nil, err
	}
	s.places.m, s.places.version = m, v
	return m, nil
}
