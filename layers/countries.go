package layers

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
)

// CountryTolerance is how far (in metres) a vertex may stray outside the
// basemap polygons of the countries its feature names: the basemap is
// generalized (Natural Earth 1:10m), so a border town can fall just outside.
const CountryTolerance = 500

// maxVertexProblems bounds the vertices named per feature.
const maxVertexProblems = 20

// Countries returns the names a feature's `country` property lists (";"
// separated), or nil when it has none.
func (f Feature) Countries() []string {
	s, _ := f.Properties["country"].(string)
	var out []string
	for _, n := range strings.Split(s, ";") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// CheckCountries verifies that every vertex of a feature with a `country`
// lies inside the union of those countries' basemap polygons, within
// CountryTolerance, naming each vertex that does not, and that every name
// is the name of a basemap feature. Without a basemap layer nothing can be
// checked, which is a warning.
func CheckCountries(d *Dataset) Problems {
	var basemap []Feature
	basemaps := 0
	for _, l := range d.Layers {
		if l.Kind == KindBasemap {
			basemaps++
			basemap = append(basemap, d.Features[l.ID]...)
		}
	}
	ca := NewCountryAreas(basemap)
	var ps Problems
	unchecked := 0
	for _, l := range d.Layers {
		if l.Kind == KindBasemap {
			continue
		}
		file := d.Files["layer:"+l.ID]
		for _, f := range d.Features[l.ID] {
			if basemaps == 0 {
				if _, isString := f.Properties["country"].(string); isString && len(f.Countries()) > 0 {
					unchecked++
					continue
				}
			}
			ps = append(ps, ca.Check(f, file, l.ID+"/"+f.ID)...)
		}
	}
	if unchecked > 0 {
		ps = append(ps, Problem{Kind: "layer", ID: "basemap", Warning: true,
			Message: fmt.Sprintf("no basemap layer: the country of %d feature(s) is not checked against it", unchecked)})
	}
	return ps
}

// CountryAreas holds the basemap's country areas by name, and the regions
// built from them as features ask, so features can be checked one at a
// time (the write side checks each feature it is given). It is safe for
// concurrent use.
type CountryAreas struct {
	areas   map[string]orb.MultiPolygon
	mu      sync.Mutex
	regions map[string]*geo.Region // by the names joined with ";"
}

// NewCountryAreas indexes the areas among the basemap's features by name.
func NewCountryAreas(basemap []Feature) *CountryAreas {
	ca := &CountryAreas{areas: map[string]orb.MultiPolygon{}, regions: map[string]*geo.Region{}}
	for _, f := range basemap {
		// Only areas name countries: the basemap's lines and towns do not.
		n, _ := f.Properties["name"].(string)
		if mp := geo.RegionOf(f.Geometry); n != "" && mp != nil {
			ca.areas[n] = append(ca.areas[n], mp...)
		}
	}
	return ca
}

// Check verifies one feature's country property, as CheckCountries does.
func (ca *CountryAreas) Check(f Feature, file, id string) Problems {
	var ps Problems
	if v, ok := f.Properties["country"]; ok && v != nil {
		if _, isString := v.(string); !isString {
			return Problems{{File: file, Kind: "feature", ID: id, Message: fmt.Sprintf("country must be a string of basemap country names separated by ';', not %T", v)}}
		}
	}
	names := f.Countries()
	if len(names) == 0 {
		return nil
	}
	known := true
	for _, n := range names {
		if _, ok := ca.areas[n]; !ok {
			known = false
			ps = append(ps, Problem{File: file, Kind: "feature", ID: id, Message: fmt.Sprintf("country %q is not the name of a basemap country%s", n, suggest(n, ca.areas))})
		}
	}
	if !known || f.Geometry == nil {
		return ps
	}
	return append(ps, outside(f, ca.region(names), strings.Join(names, ";"), file, id)...)
}

func (ca *CountryAreas) region(names []string) *geo.Region {
	key := strings.Join(names, ";")
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if r, ok := ca.regions[key]; ok {
		return r
	}
	var parts []orb.MultiPolygon
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			parts = append(parts, ca.areas[n])
		}
	}
	r := geo.NewRegion(parts...)
	ca.regions[key] = r
	return r
}

// outside names each vertex of f farther than CountryTolerance from region.
func outside(f Feature, region *geo.Region, names, file, id string) Problems {
	var ps Problems
	n := 0
	geo.Vertices(f.Geometry, func(path []int, p orb.Point) {
		if region.Within(p, CountryTolerance) {
			return
		}
		n++
		if n > maxVertexProblems {
			return
		}
		d := region.Distance(p)
		ps = append(ps, Problem{File: file, Kind: "feature", ID: id, Message: fmt.Sprintf(
			"%s (%.5f, %.5f) lies %.0f m outside %s on the basemap (tolerance %d m)",
			vertexName(f.Geometry, path), p[0], p[1], d, names, CountryTolerance)})
	})
	if n > maxVertexProblems {
		ps = append(ps, Problem{File: file, Kind: "feature", ID: id, Message: fmt.Sprintf("and %d more vertices outside %s", n-maxVertexProblems, names)})
	}
	return ps
}

// vertexName names a position of g by its index path, e.g. "vertex 3" of a
// line or "polygon 1, ring 0, vertex 7" of a multipolygon.
func vertexName(g orb.Geometry, path []int) string {
	var parts []string
	switch g.(type) {
	case orb.Point:
		return "the point"
	case orb.MultiLineString:
		parts = []string{"line"}
	case orb.Polygon:
		parts = []string{"ring"}
	case orb.MultiPolygon:
		parts = []string{"polygon", "ring"}
	case orb.Collection:
		parts = []string{"geometry"}
	}
	var b strings.Builder
	for i, n := range path {
		name := "vertex"
		if i < len(path)-1 && i < len(parts) {
			name = parts[i]
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", name, n)
	}
	return b.String()
}

// suggest names basemap countries close to n (same letters ignoring case
// and accents is too much to ask; a shared prefix is enough to help).
func suggest(n string, areas map[string]orb.MultiPolygon) string {
	var near []string
	low := strings.ToLower(n)
	for k := range areas {
		kl := strings.ToLower(k)
		if len(low) >= 3 && len(kl) >= 3 && (strings.HasPrefix(kl, low[:3]) || strings.Contains(kl, low) || strings.Contains(low, kl)) {
			near = append(near, k)
		}
	}
	if len(near) == 0 {
		return ""
	}
	sort.Strings(near)
	return fmt.Sprintf(" (did you mean %s?)", strings.Join(near, " or "))
}

// checkContextOf verifies that each context layer names a cited layer of
// the dataset.
func checkContextOf(d *Dataset) Problems {
	byID := map[string]Layer{}
	for _, l := range d.Layers {
		byID[l.ID] = l
	}
	var ps Problems
	for _, l := range d.Layers {
		if l.Kind != KindContext || l.ContextOf == "" || l.ContextOf == l.ID {
			continue // CheckLayer has said what is wrong
		}
		parent, ok := byID[l.ContextOf]
		switch {
		case !ok:
			ps = append(ps, Problem{File: d.Files["layer:"+l.ID], Kind: "layer", ID: l.ID, Message: fmt.Sprintf("context_of %q names no layer of the dataset", l.ContextOf)})
		case !parent.Cited():
			ps = append(ps, Problem{File: d.Files["layer:"+l.ID], Kind: "layer", ID: l.ID, Message: fmt.Sprintf("context_of %q names a layer of kind %s, not a cited layer", l.ContextOf, parent.Kind)})
		}
	}
	return ps
}
