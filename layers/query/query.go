// Package query answers feature queries (a bbox, a time, property values,
// a page) from a store's spatial index and stored bodies, inside one read
// transaction: it reads what the answer touches, never a whole layer, so
// its memory follows the page asked for, not the size of the layer.
package query

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// Page is a page of a query's matches.
type Page struct {
	Offset, Limit int
}

// Result describes what a query matched.
type Result struct {
	Layer   layers.Layer
	Matched int
	// Queryables maps each flat property of the layer to its JSON type.
	Queryables map[string]string
}

// Items reads layer id of ix in one read transaction: plan is given the
// layer's description and queryables and returns the query and page to run
// (or an error refusing it); fn is then called with each feature of the
// page, in id order, inside the transaction, so it must copy what it keeps.
func Items(ctx context.Context, ix layers.Indexed, id string, plan func(Result) (layers.Query, Page, error), fn func(layers.Body) error) (Result, error) {
	var res Result
	err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
		res.Layer = li.Layer()
		res.Queryables = li.Queryables()
		q, p, err := plan(res)
		if err != nil {
			return err
		}
		res.Matched, err = runHiding(ctx, li, q, p, nil, 0, fn)
		return err
	})
	return res, err
}

// runHiding runs q and calls fn with each feature of page p, leaving out
// the features hidden names (neither matched nor paged), stored of which
// the layer holds; it returns the number matched.
func runHiding(ctx context.Context, li layers.LayerIndex, q layers.Query, p Page, hidden map[string]bool, stored int, fn func(layers.Body) error) (int, error) {
	filtered := q.Time != nil || len(q.Equals) > 0
	filt := newFilter(q)
	inPage := func(n int) bool { return n >= p.Offset && n < p.Offset+p.Limit }
	var ferr error
	if len(q.BBox) == 0 {
		// The filters, the count and the offset read the attributes; only
		// the page's features are read whole.
		n := 0
		err := li.Attributes("", func(a layers.Body) bool {
			if n%1024 == 0 {
				if ferr = ctx.Err(); ferr != nil {
					return false
				}
			}
			if hidden[a.ID] {
				return true
			}
			if filtered {
				var ok bool
				if ok, ferr = filt.match(a); ferr != nil {
					return false
				}
				if !ok {
					return true
				}
			}
			if inPage(n) {
				b, ok, err := li.Body(a.ID)
				if err == nil && !ok {
					err = fmt.Errorf("layer %s: feature %s has attributes but no body", li.Layer().ID, a.ID)
				}
				if err != nil {
					ferr = err
					return false
				}
				if ferr = fn(b); ferr != nil {
					return false
				}
			}
			n++
			// Without filters the layer's count is the number matched:
			// stop at the end of the page.
			return filtered || n < p.Offset+p.Limit
		})
		if err == nil {
			err = ferr
		}
		if !filtered {
			n = li.Layer().Count - stored
		}
		return n, err
	}

	// Candidates from the index, by bound; then, in id order, the exact
	// test on each whose bound is not inside the box, and the filters.
	type cand struct {
		id    string
		bound orb.Bound
	}
	var cands []cand
	for _, qb := range q.BBox {
		if err := li.Search(qb, func(id string, b orb.Bound) bool {
			cands = append(cands, cand{id, b})
			return true
		}); err != nil {
			return 0, err
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	cands = slices.CompactFunc(cands, func(a, b cand) bool { return a.id == b.id })
	if len(hidden) > 0 {
		cands = slices.DeleteFunc(cands, func(c cand) bool { return hidden[c.id] })
	}
	n := 0
	for i, c := range cands {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		inside := false
		for _, qb := range q.BBox {
			if qb.Contains(c.bound.Min) && qb.Contains(c.bound.Max) {
				inside = true
				break
			}
		}
		var body layers.Body
		loaded := false
		load := func() error {
			if loaded {
				return nil
			}
			b, ok, err := li.Body(c.id)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("layer %s: feature %s is in the index but has no body", li.Layer().ID, c.id)
			}
			body, loaded = b, true
			return nil
		}
		if !inside {
			if err := load(); err != nil {
				return 0, err
			}
			ok, err := intersects(body, q.BBox)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
		}
		if filtered {
			if err := load(); err != nil {
				return 0, err
			}
			ok, err := filt.match(body)
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
		}
		if inPage(n) {
			if err := load(); err != nil {
				return 0, err
			}
			if err := fn(body); err != nil {
				return 0, err
			}
		}
		n++
	}
	return n, nil
}

// intersects is the exact test of a body's geometry against the boxes.
func intersects(b layers.Body, boxes []orb.Bound) (bool, error) {
	g, err := wkb.Unmarshal(b.WKB)
	if err != nil {
		return false, fmt.Errorf("decode geometry of %s: %w", b.ID, err)
	}
	for _, qb := range boxes {
		if geo.Intersects(g, b.Bound, qb) {
			return true, nil
		}
	}
	return false, nil
}

// filter applies the time and property filters of a query to bodies.
type filter struct {
	q layers.Query
	// pairs are, for each property whose name and value are plain, the
	// "name":"value" a match holds, and for a wanted true or false also
	// "name":true as a whole value; texts, for a plain value under a name
	// that is not, the value a match holds verbatim; decode is set when
	// some property is decided only by decoding.
	texts  [][]byte
	pairs  []pair
	decode bool
}

type pair struct {
	quoted, bare []byte // bare: nil unless the value may be a boolean
}

func newFilter(q layers.Query) *filter {
	f := &filter{q: q}
	for k, want := range q.Equals {
		if !verbatim(want) {
			f.decode = true
			continue
		}
		if !verbatim(k) {
			f.texts = append(f.texts, []byte(want))
			f.decode = true
			continue
		}
		p := pair{quoted: []byte(`"` + k + `":"` + want + `"`)}
		if want == "true" || want == "false" {
			p.bare = []byte(`"` + k + `":` + want)
		}
		f.pairs = append(f.pairs, p)
	}
	return f
}

// match reports whether b passes the filters. Decoding the properties is
// most of a filter's time over a large layer, so it is avoided where the
// compact JSON of b.Properties decides: a feature that does not hold a
// wanted text anywhere cannot match, and one whose JSON holds
// "name":"value", both plain, has that property (a raw quote only
// delimits a string, and a string followed by a colon is a name).
func (f *filter) match(b layers.Body) (bool, error) {
	q := f.q
	if q.Time != nil {
		iv, err := geo.FeatureInterval(b.From, b.To)
		if err != nil {
			return false, fmt.Errorf("feature %s: %w", b.ID, err)
		}
		if !iv.Overlaps(*q.Time) {
			return false, nil
		}
	}
	if len(q.Equals) == 0 {
		return true, nil
	}
	for _, t := range f.texts {
		if !bytes.Contains(b.Properties, t) {
			return false, nil
		}
	}
	for _, p := range f.pairs {
		if !bytes.Contains(b.Properties, p.quoted) && (p.bare == nil || !holdsBare(b.Properties, p.bare)) {
			return false, nil
		}
	}
	if !f.decode {
		return true, nil
	}
	var props map[string]any
	if err := json.Unmarshal(b.Properties, &props); err != nil {
		return false, fmt.Errorf("decode properties of %s: %w", b.ID, err)
	}
	return Equals(props, q.Equals), nil
}

// holdsBare reports whether props holds pair ("name":true) as a whole
// value.
func holdsBare(props, pair []byte) bool {
	for i := 0; ; {
		j := bytes.Index(props[i:], pair)
		if j < 0 {
			return false
		}
		end := i + j + len(pair)
		if end < len(props) && (props[end] == ',' || props[end] == '}') {
			return true
		}
		i = end
	}
}

// verbatim reports whether a property equal to want holds it in its JSON
// as it is: not a number (whose JSON may be written otherwise), nothing
// JSON escapes.
func verbatim(want string) bool {
	if want == "" {
		return false
	}
	if _, err := strconv.ParseFloat(want, 64); err == nil {
		return false
	}
	for _, r := range want {
		if r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// Equals reports whether every property named in eq has that value,
// compared as text, and a number also as a number (1000000 is "1e+06" as
// text).
func Equals(props map[string]any, eq map[string]string) bool {
	for k, want := range eq {
		v, ok := props[k]
		if !ok {
			return false
		}
		switch v := v.(type) {
		case string:
			if v != want {
				return false
			}
			continue
		case float64:
			if n, err := strconv.ParseFloat(want, 64); err == nil && n == v {
				continue
			}
		}
		if fmt.Sprint(v) != want {
			return false
		}
	}
	return true
}

// Match returns the positions of the features of sn (a layer decoded in
// memory: one with drafts applied) that q selects, in id order.
func Match(sn *layers.Snapshot, q layers.Query) []int {
	var candidates []int
	if len(q.BBox) == 0 {
		candidates = make([]int, len(sn.Features))
		for i := range candidates {
			candidates[i] = i
		}
	} else {
		candidates = sn.Search(q.BBox[0])
		for _, b := range q.BBox[1:] {
			candidates = append(candidates, sn.Search(b)...)
		}
		slices.Sort(candidates)
		candidates = slices.Compact(candidates)
	}
	out := candidates[:0] // filtered in place
	for _, i := range candidates {
		if q.Time != nil && !sn.Times[i].Overlaps(*q.Time) {
			continue
		}
		if !Equals(sn.Flat[i], q.Equals) {
			continue
		}
		out = append(out, i)
	}
	return out
}
