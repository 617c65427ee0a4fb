package edit

import (
	"context"
	"fmt"
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
	all, err := s.cs.ListChangesets(ctx)
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

// AddSource stores a new article as a draft in u's changeset. The same
// text posted again is ECONFLICT naming the source that has it.
func (s *Service) AddSource(ctx context.Context, u layers.User, in SourceInput) (layers.Source, int, error) {
	if err := Require(u, layers.RoleEditor); err != nil {
		return layers.Source{}, 0, err
	}
	src := layers.Source{Title: in.Title, Publisher: in.Publisher, Author: in.Author, URL: in.URL,
		Published: in.Published, Language: in.Language}
	switch {
	case in.Text != "" && in.HTML != "":
		return src, 0, errf(layers.EUNPROCESSABLE, "give the article as text or as html, not both")
	case in.Text != "":
		src.Raw, src.Text = in.Text, layers.Normalize(in.Text)
	case in.HTML != "":
		// Readability keeps the article and drops scripts, styles and the
		// site around it; the HTML is kept as received.
		a, err := article.Text([]byte(in.HTML), in.URL)
		if err != nil {
			return src, 0, errf(layers.EUNPROCESSABLE, "%v", err)
		}
		src.Raw, src.Text = in.HTML, layers.Normalize(a.Text)
	default:
		return src, 0, errf(layers.EUNPROCESSABLE, "the article needs its text (or html)")
	}
	if strings.TrimSpace(src.Text) == "" {
		return src, 0, errf(layers.EUNPROCESSABLE, "the article has no text")
	}
	src.SHA256 = layers.TextHash(src.Text)

	s.mu.Lock()
	defer s.mu.Unlock()
	published, err := s.store.Sources(ctx)
	if err != nil {
		return src, 0, err
	}
	all, err := s.cs.ListChangesets(ctx)
	if err != nil {
		return src, 0, err
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
			return src, 0, err
		}
	}
	for _, c := range all {
		if c.State != layers.Open {
			continue
		}
		for _, o := range c.Sources {
			if err := check(o); err != nil {
				return src, 0, err
			}
		}
	}
	src.ID = fmt.Sprintf("%03d_%s", next, src.SHA256[:16])
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
	all, err := s.cs.ListChangesets(ctx)
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
// dataset's features and the bundled gazetteer as candidates.
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
		if l.Kind == layers.KindBasemap {
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
