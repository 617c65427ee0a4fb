package layers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/citemap/citemap/geo"
)

// Dataset is a set of layers, features, sources and passages read from files
// or a store, before it is written or checked.
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

// Problem is one broken invariant.
type Problem struct {
	File    string // the file it came from, when known
	Kind    string // "layer", "feature", "source", "passage", "claim"
	ID      string // layer/feature, source or passage id
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
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

// Err returns ps as an EINVALID *Error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: ps.Error()}
}

// Check verifies every invariant of a complete dataset: ids well formed and
// unique; each source's hash matching its text; each passage's quote standing
// at its offsets in its source, before any boilerplate; each claim naming an
// existing passage; each feature of a cited layer backed by at least one
// supporting passage; each geometry valid RFC 7946.
func Check(d *Dataset) Problems {
	var ps Problems
	add := func(file, kind, id, format string, args ...any) {
		ps = append(ps, Problem{File: file, Kind: kind, ID: id, Message: fmt.Sprintf(format, args...)})
	}

	sources := map[string]Source{}
	for _, s := range d.Sources {
		file := d.Files["source:"+s.ID]
		switch {
		case !ValidID(s.ID):
			add(file, "source", s.ID, "id must match [a-z0-9][a-z0-9_-]*")
		case sources[s.ID].ID != "":
			add(file, "source", s.ID, "duplicate source id")
		}
		if s.Text == "" {
			add(file, "source", s.ID, "no text")
		}
		if s.SHA256 != "" && s.SHA256 != TextHash(s.Text) {
			add(file, "source", s.ID, "sha256 %s does not match the normalized text (%s): the text changed", s.SHA256, TextHash(s.Text))
		}
		sources[s.ID] = s
	}

	passages := map[string]Passage{}
	for _, p := range d.Passages {
		s, ok := sources[p.Source]
		file := d.Files["source:"+p.Source]
		switch {
		case !ValidID(p.ID):
			add(file, "passage", p.ID, "id must match [a-z0-9][a-z0-9_-]*")
		case passages[p.ID].ID != "":
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
		passages[p.ID] = p
	}

	seenLayer := map[string]bool{}
	for _, l := range d.Layers {
		file := d.Files["layer:"+l.ID]
		if !ValidID(l.ID) {
			add(file, "layer", l.ID, "id must match [a-z0-9][a-z0-9_-]*")
		}
		if seenLayer[l.ID] {
			add(file, "layer", l.ID, "duplicate layer id")
		}
		seenLayer[l.ID] = true
		if !validKind(l.Kind) {
			add(file, "layer", l.ID, "kind %q is not one of borders, bases, corridors, disputed, events, basemap, other", l.Kind)
		}
		seen := map[string]bool{}
		for _, f := range d.Features[l.ID] {
			id := l.ID + "/" + f.ID
			if !ValidID(f.ID) {
				add(file, "feature", id, "id must be a slug matching [a-z0-9][a-z0-9_-]*")
			}
			if seen[f.ID] {
				add(file, "feature", id, "duplicate feature id in layer")
			}
			seen[f.ID] = true
			if err := geo.Validate(f.Geometry); err != nil {
				add(file, "feature", id, "%v", err)
			}
			supported := 0
			for _, c := range f.Claims {
				if _, ok := passages[c.Passage]; !ok {
					add(file, "claim", id, "claim points at passage %q, which does not exist", c.Passage)
					continue
				}
				if c.Relation != Supports && c.Relation != Contradicts {
					add(file, "claim", id, "claim on passage %s: relation %q is not supports or contradicts", c.Passage, c.Relation)
					continue
				}
				if c.Aspect == "" {
					add(file, "claim", id, "claim on passage %s has no aspect", c.Passage)
				}
				if c.Relation == Supports {
					supported++
				}
			}
			if l.Cited() && supported == 0 {
				add(file, "feature", id, "has no supporting passage: every feature must cite its evidence")
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].File < ps[j].File })
	return ps
}

func validKind(k string) bool {
	switch k {
	case KindBorders, KindBases, KindCorridors, KindDisputed, KindEvents, KindBasemap, KindOther:
		return true
	}
	return false
}
