package layers

import (
	"fmt"
	"iter"
	"sort"
	"strings"

	"github.com/citemap/citemap/geo"
)

// Dataset is a set of layers, features, sources and passages read from files
// or a store, held in memory.
type Dataset struct {
	Layers   []Layer
	Features map[string][]Feature // by layer id
	Sources  []Source
	Passages []Passage
	// Files names the file each layer or source came from, for messages.
	Files map[string]string // "layer:ID" or "source:ID" -> file
}

// NewDataset returns an empty dataset.
func NewDataset() *Dataset {
	return &Dataset{Features: map[string][]Feature{}, Files: map[string]string{}}
}

// Import is what one import writes: sources and passages, and layers whose
// features arrive one at a time (a file of a million features is never held
// whole).
type Import struct {
	Sources  []Source
	Passages []Passage
	Layers   []LayerImport
}

// LayerImport is one layer of an import.
type LayerImport struct {
	File     string                    // where it comes from, for messages
	Features iter.Seq2[Feature, error] // the features, or why one is bad
	Layer    func() Layer              // the layer's description, known once Features is consumed
	// ID, when set, returns the layer's id as soon as it is known ("" until
	// then), so a store can write a large layer in batches as it streams.
	ID func() string
}

// Import returns d as an Import.
func (d *Dataset) Import() *Import {
	imp := &Import{Sources: d.Sources, Passages: d.Passages}
	for _, l := range d.Layers {
		feats := d.Features[l.ID]
		imp.Layers = append(imp.Layers, LayerImport{
			File: d.Files["layer:"+l.ID],
			Features: func(yield func(Feature, error) bool) {
				for _, f := range feats {
					if !yield(f, nil) {
						return
					}
				}
			},
			Layer: func() Layer { return l },
			ID:    func() string { return l.ID },
		})
	}
	return imp
}

// Merge adds o to d: o's layers replace d's layers of the same id whole; o's
// sources and passages replace d's of the same id.
func (d *Dataset) Merge(o *Dataset) {
	for _, l := range o.Layers {
		if i := indexOf(d.Layers, func(x Layer) bool { return x.ID == l.ID }); i >= 0 {
			d.Layers[i] = l
		} else {
			d.Layers = append(d.Layers, l)
		}
		d.Features[l.ID] = o.Features[l.ID]
	}
	for _, s := range o.Sources {
		if i := indexOf(d.Sources, func(x Source) bool { return x.ID == s.ID }); i >= 0 {
			d.Sources[i] = s
		} else {
			d.Sources = append(d.Sources, s)
		}
	}
	for _, p := range o.Passages {
		if i := indexOf(d.Passages, func(x Passage) bool { return x.ID == p.ID }); i >= 0 {
			d.Passages[i] = p
		} else {
			d.Passages = append(d.Passages, p)
		}
	}
	for k, v := range o.Files {
		d.Files[k] = v
	}
}

func indexOf[T any](s []T, f func(T) bool) int {
	for i, x := range s {
		if f(x) {
			return i
		}
	}
	return -1
}

// Problem is one broken invariant, or a warning.
type Problem struct {
	File    string // the file it came from, when known
	Kind    string // "layer", "feature", "source", "passage", "claim"
	ID      string // layer/feature, source or passage id
	Message string
	Warning bool // worth telling, but not an error (an uncited layer)
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.File != "" {
		b.WriteString(p.File + ": ")
	}
	fmt.Fprintf(&b, "%s %s: %s", p.Kind, p.ID, p.Message)
	return b.String()
}

// Problems is every broken invariant of a dataset. As an error it is EINVALID.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s):\n%s", len(ps), strings.Join(lines, "\n"))
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Err returns the errors among ps as one error, or nil when there are none.
func (ps Problems) Err() error {
	if e := ps.Errors(); len(e) > 0 {
		return e
	}
	return nil
}

// CheckEvidence verifies sources and passages: ids well formed and unique,
// each source's hash matching its text, each passage's quote standing at its
// offsets in its source, before any boilerplate.
func CheckEvidence(sources []Source, passages []Passage, files map[string]string) Problems {
	var ps Problems
	add := func(file, kind, id, format string, args ...any) {
		ps = append(ps, Problem{File: file, Kind: kind, ID: id, Message: fmt.Sprintf(format, args...)})
	}
	byID := map[string]Source{}
	for _, s := range sources {
		file := files["source:"+s.ID]
		switch {
		case !ValidID(s.ID):
			add(file, "source", s.ID, "id must match [a-z0-9][a-z0-9_-]*")
		case byID[s.ID].ID != "":
			add(file, "source", s.ID, "duplicate source id")
		}
		if s.Text == "" {
			add(file, "source", s.ID, "no text")
		}
		if s.SHA256 != "" && s.SHA256 != TextHash(s.Text) {
			add(file, "source", s.ID, "sha256 %s does not match the normalized text (%s): the text changed", s.SHA256, TextHash(s.Text))
		}
		byID[s.ID] = s
	}
	seen := map[string]bool{}
	for _, p := range passages {
		s, ok := byID[p.Source]
		file := files["source:"+p.Source]
		switch {
		case !ValidID(p.ID):
			add(file, "passage", p.ID, "id must match [a-z0-9][a-z0-9_-]*")
		case seen[p.ID]:
			add(file, "passage", p.ID, "duplicate passage id")
		case !ok:
			add(file, "passage", p.ID, "source %q does not exist", p.Source)
		default:
			switch v := Verify(s.Text, p.Selector); v {
			case VerifiedExact:
				if s.BodyEnd > 0 && p.End > s.BodyEnd {
					add(file, "passage", p.ID, "ends at %d, after the article body (body_end %d): boilerplate is not evidence", p.End, s.BodyEnd)
				}
			case VerifiedFuzzy:
				add(file, "passage", p.ID, "quote %q is in source %s but not at offsets %d-%d with its prefix and suffix", clip(p.Exact), p.Source, p.Start, p.End)
			default:
				add(file, "passage", p.ID, "quote %q is not in source %s", clip(p.Exact), p.Source)
			}
		}
		seen[p.ID] = true
	}
	return ps
}

// CheckLayer verifies a layer's own description.
func CheckLayer(l Layer) []string {
	var msgs []string
	if !ValidID(l.ID) {
		msgs = append(msgs, "id must match [a-z0-9][a-z0-9_-]*")
	}
	if !validKind(l.Kind) {
		msgs = append(msgs, fmt.Sprintf("kind %q is not one of borders, bases, corridors, disputed, events, countries, context, basemap, other", l.Kind))
	}
	switch {
	case l.Kind == KindContext && l.ContextOf == "":
		msgs = append(msgs, fmt.Sprintf("a context layer must name the cited layer it belongs to in context_of (e.g. %q)", strings.TrimSuffix(l.ID, "-context")))
	case l.Kind != KindContext && l.ContextOf != "":
		msgs = append(msgs, fmt.Sprintf("context_of %q is only for a layer of kind context, not %s", l.ContextOf, l.Kind))
	case l.ContextOf == l.ID && l.ID != "":
		msgs = append(msgs, "context_of names the layer itself")
	}
	return msgs
}

// CheckFeature verifies one feature: its id, its geometry (valid RFC 7946),
// and its claims (each naming an existing passage, with a known relation, an
// aspect, and a basis, an inferred one saying how in its note). Messages
// about a claim start with "claim on passage ID". It does not require
// evidence: whether the layer is cited is decided over all its features
// (Citation).
func CheckFeature(f Feature, passageExists func(string) bool) []string {
	var msgs []string
	if !ValidID(f.ID) {
		msgs = append(msgs, "id must be a slug matching [a-z0-9][a-z0-9_-]*")
	}
	if err := geo.Validate(f.Geometry); err != nil {
		msgs = append(msgs, err.Error())
	}
	for _, c := range f.Claims {
		claim := fmt.Sprintf("claim on passage %s", c.Passage)
		if c.Aspect != "" {
			claim += fmt.Sprintf(" (aspect %s)", c.Aspect)
		}
		if !passageExists(c.Passage) {
			msgs = append(msgs, fmt.Sprintf("claim on passage %q: the passage does not exist", c.Passage))
			continue
		}
		if c.Relation != Supports && c.Relation != Contradicts {
			msgs = append(msgs, fmt.Sprintf("%s: relation %q is not supports or contradicts", claim, c.Relation))
		}
		if c.Aspect == "" {
			msgs = append(msgs, claim+": no aspect")
		}
		switch c.Basis {
		case "":
			msgs = append(msgs, claim+`: no basis: say "explicit" (the passage names the feature and states this) or "inferred" (with a note saying how)`)
		case Explicit:
		case Inferred:
			if strings.TrimSpace(c.Note) == "" {
				msgs = append(msgs, claim+": inferred, but its note does not say how it is inferred")
			}
		default:
			msgs = append(msgs, fmt.Sprintf("%s: basis %q is not explicit or inferred", claim, c.Basis))
		}
	}
	return msgs
}

// Supported reports whether f has at least one supporting claim.
func (f Feature) Supported() bool {
	for _, c := range f.Claims {
		if c.Relation == Supports {
			return true
		}
	}
	return false
}

// ExplicitlySupported reports whether f has at least one explicit
// supporting claim: what a feature of a cited layer needs.
func (f Feature) ExplicitlySupported() bool {
	for _, c := range f.Claims {
		if c.Relation == Supports && c.Basis == Explicit {
			return true
		}
	}
	return false
}

// Citation tracks, over a layer's features, whether the layer is cited: a
// layer is cited when any of its features carries evidence (or it says it
// is, by its kind), and then every feature must have an explicit supporting
// passage. A plain GeoJSON layer with no evidence at all is uncited; a
// context layer needs no support.
type Citation struct {
	withClaims int
	broken     []unsupported // features without an explicit supporting claim (the first 100)
}

type unsupported struct {
	id      string
	support []string // its supporting claims: passage and basis
}

// Add notes one feature.
func (c *Citation) Add(f Feature) {
	if len(f.Claims) > 0 {
		c.withClaims++
	}
	if f.ExplicitlySupported() || len(c.broken) >= 100 {
		return
	}
	u := unsupported{id: f.ID}
	for _, cl := range f.Claims {
		if cl.Relation == Supports {
			basis := cl.Basis
			if basis == "" {
				basis = "no basis"
			}
			u.support = append(u.support, cl.Passage+" ("+basis+")")
		}
	}
	c.broken = append(c.broken, u)
}

// Result returns whether layer l (described once all its features were
// added) is uncited, and a problem for each feature that breaks the
// citation rule (the first 100), naming file and feature (as "layer/id").
func (c *Citation) Result(l Layer, file string) (uncited bool, ps Problems) {
	if l.Kind == KindBasemap || l.Kind == KindContext {
		return false, nil
	}
	if c.withClaims == 0 && (l.Plain || l.Uncited) {
		return true, nil
	}
	for _, u := range c.broken {
		msg := "has no supporting passage: every feature of a cited layer must cite its evidence"
		if len(u.support) > 0 {
			msg = fmt.Sprintf("has no explicit supporting claim (its support: %s): a feature of a cited layer needs one; cite a passage that names it, or move the feature to the context layer %s-context",
				strings.Join(u.support, ", "), l.ID)
		}
		ps = append(ps, Problem{File: file, Kind: "feature", ID: l.ID + "/" + u.id, Message: msg})
	}
	return false, ps
}

// OneGeometry tracks, over a layer's features, that they share one
// geometry class (points, lines or areas; single and Multi- forms mix): a
// GIS client types a layer from its first features and cannot draw the
// others. The basemap is exempt: it is reference geography drawn under the
// map (land and border lines), not a collection.
type OneGeometry struct {
	first    string // class of the first feature
	firstID  string
	firstTyp string
	reported bool
	Types    geo.TypeSet
}

// Add notes one feature and returns a message when it is the first of a
// second class, naming both.
func (o *OneGeometry) Add(f Feature) string {
	o.Types.Add(f.Geometry)
	c := geo.Class(f.Geometry)
	switch {
	case o.first == "":
		o.first, o.firstID, o.firstTyp = c, f.ID, f.Geometry.GeoJSONType()
	case c != o.first && !o.reported:
		o.reported = true
		return fmt.Sprintf("is a %s, the first feature of a second geometry type: the layer's first feature, %s, is a %s; "+
			"a layer holds one geometry type (%s or %s, not both): split it into layers, or import a plain GeoJSON file with --split-geometry",
			f.Geometry.GeoJSONType(), o.firstID, o.firstTyp, o.first, c)
	}
	return ""
}

// Check verifies every invariant of a complete dataset: CheckEvidence,
// CheckLayer and CheckFeature, unique feature ids, and every feature of a
// cited layer backed by at least one supporting passage. An uncited layer
// is a warning.
func Check(d *Dataset) Problems {
	ps := CheckEvidence(d.Sources, d.Passages, d.Files)
	passages := make(map[string]bool, len(d.Passages))
	for _, p := range d.Passages {
		passages[p.ID] = true
	}
	exists := func(id string) bool { return passages[id] }
	seenLayer := map[string]bool{}
	for _, l := range d.Layers {
		file := d.Files["layer:"+l.ID]
		for _, m := range CheckLayer(l) {
			ps = append(ps, Problem{File: file, Kind: "layer", ID: l.ID, Message: m})
		}
		if seenLayer[l.ID] {
			ps = append(ps, Problem{File: file, Kind: "layer", ID: l.ID, Message: "duplicate layer id"})
		}
		seenLayer[l.ID] = true
		seen := map[string]bool{}
		var cit Citation
		var one OneGeometry
		for _, f := range d.Features[l.ID] {
			id := l.ID + "/" + f.ID
			if seen[f.ID] {
				ps = append(ps, Problem{File: file, Kind: "feature", ID: id, Message: "duplicate feature id in layer"})
			}
			seen[f.ID] = true
			for _, m := range CheckFeature(f, exists) {
				kind := "feature"
				if strings.HasPrefix(m, "claim") {
					kind = "claim"
				}
				ps = append(ps, Problem{File: file, Kind: kind, ID: id, Message: m})
			}
			if m := one.Add(f); m != "" && l.Kind != KindBasemap {
				ps = append(ps, Problem{File: file, Kind: "feature", ID: id, Message: m})
			}
			cit.Add(f)
		}
		uncited, unsupported := cit.Result(l, file)
		if uncited {
			ps = append(ps, Problem{File: file, Kind: "layer", ID: l.ID, Warning: true,
				Message: fmt.Sprintf("uncited: none of its %d features cites a passage", len(d.Features[l.ID]))})
		}
		ps = append(ps, unsupported...)
	}
	ps = append(ps, checkContextOf(d)...)
	ps = append(ps, CheckCountries(d)...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].File < ps[j].File })
	return ps
}

func validKind(k string) bool {
	switch k {
	case KindBorders, KindBases, KindCorridors, KindDisputed, KindEvents, KindBasemap, KindCountries, KindContext, KindOther:
		return true
	}
	return false
}
