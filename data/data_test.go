package data

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

func dataset(t *testing.T) *layers.Dataset {
	t.Helper()
	d, err := layers.ReadDir(FS(), ".")
	if err != nil {
		t.Fatalf("read bundled data: %v", err)
	}
	return d
}

func TestBundledDataPassesCheck(t *testing.T) {
	d := dataset(t)
	if ps := layers.Check(d); len(ps) > 0 {
		t.Fatalf("bundled data breaks invariants:\n%v", ps)
	}
	var ids []string
	for _, l := range d.Layers {
		ids = append(ids, l.ID)
	}
	want := "basemap,bases-context,bases,borders-context,borders,corridors-context,corridors,countries,disputed-context,disputed,events-context,events"
	if got := strings.Join(ids, ","); got != want {
		t.Errorf("layers = %s", got)
	}
}

// Every passage is derived again from its source's raw text: normalized
// text, hash, quote at its offsets with its context.
func TestPassagesRederiveFromSources(t *testing.T) {
	d := dataset(t)
	texts := map[string]layers.Source{}
	for _, s := range d.Sources {
		raw, err := fs.ReadFile(FS(), "sources/"+s.ID+".txt")
		if err != nil {
			t.Fatalf("source %s: raw text: %v", s.ID, err)
		}
		text := layers.Normalize(string(raw))
		if layers.TextHash(text) != s.SHA256 {
			t.Errorf("source %s: sha256 %s, text hashes to %s", s.ID, s.SHA256, layers.TextHash(text))
		}
		texts[s.ID] = s
	}
	if len(d.Passages) == 0 {
		t.Fatal("no passages")
	}
	for _, p := range d.Passages {
		src := []rune(texts[p.Source].Text)
		if p.End > len(src) || p.Start >= p.End {
			t.Errorf("passage %s: offsets %d-%d outside its source", p.ID, p.Start, p.End)
			continue
		}
		if got := string(src[p.Start:p.End]); got != p.Exact {
			t.Errorf("passage %s: text at %d-%d is %q, not its quote", p.ID, p.Start, p.End, got)
		}
		if got := string(src[max(0, p.Start-layers.ContextLen):p.Start]); got != p.Prefix {
			t.Errorf("passage %s: prefix %q, text has %q", p.ID, p.Prefix, got)
		}
		if got := string(src[p.End:min(len(src), p.End+layers.ContextLen)]); got != p.Suffix {
			t.Errorf("passage %s: suffix %q, text has %q", p.ID, p.Suffix, got)
		}
		if be := texts[p.Source].BodyEnd; be > 0 && p.End > be {
			t.Errorf("passage %s comes from boilerplate after offset %d", p.ID, be)
		}
	}
}

// Changing one letter of a source under any passage fails the check.
func TestSourceChangeUnderAPassageFails(t *testing.T) {
	d := dataset(t)
	for _, p := range d.Passages {
		i := indexOfSource(d, p.Source)
		orig := d.Sources[i]
		r := []rune(orig.Text)
		mid := (p.Start + p.End) / 2
		if r[mid] == 'x' {
			r[mid] = 'y'
		} else {
			r[mid] = 'x'
		}
		d.Sources[i].Text = string(r)
		d.Sources[i].SHA256 = "" // only the passage can notice now
		if !hasProblem(layers.Check(d), p.ID) {
			t.Errorf("editing source %s inside passage %s went unnoticed", p.Source, p.ID)
		}
		d.Sources[i] = orig
	}
}

func indexOfSource(d *layers.Dataset, id string) int {
	for i, s := range d.Sources {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// A feature stripped of its supporting claims fails the check.
func TestFeatureLosingItsLastPassageFails(t *testing.T) {
	d := dataset(t)
	for _, l := range d.Layers {
		if !l.Cited() {
			continue
		}
		for i, f := range d.Features[l.ID] {
			var kept []layers.Claim
			for _, c := range f.Claims {
				if c.Relation != layers.Supports {
					kept = append(kept, c)
				}
			}
			d.Features[l.ID][i].Claims = kept
			if !hasProblem(layers.Check(d), l.ID+"/"+f.ID) {
				t.Errorf("feature %s/%s without supporting passages went unnoticed", l.ID, f.ID)
			}
			d.Features[l.ID][i].Claims = f.Claims
		}
	}
}

func hasProblem(ps layers.Problems, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

// basemapCountries returns the basemap's country areas by name: the names
// a feature's `country` property lists. A country of the countries layer
// has a second feature, its part beyond the 1:10m extent: both count.
func basemapCountries(t *testing.T, d *layers.Dataset) map[string]orb.Geometry {
	t.Helper()
	countries := map[string]orb.Geometry{}
	for _, f := range d.Features["basemap"] {
		mp := geo.RegionOf(f.Geometry)
		if mp == nil {
			continue // lines and points
		}
		if prev, ok := countries[f.Name()].(orb.MultiPolygon); ok {
			mp = append(append(orb.MultiPolygon{}, prev...), mp...)
		}
		countries[f.Name()] = mp
	}
	if len(countries) < 12 {
		t.Fatalf("the basemap has only %d country areas", len(countries))
	}
	return countries
}

func inside(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

// Every point that names a country lies inside that country's basemap area.
func TestPointsInsideTheirCountry(t *testing.T) {
	d := dataset(t)
	countries := basemapCountries(t, d)
	checked := 0
	for _, l := range d.Layers {
		for _, f := range d.Features[l.ID] {
			pt, ok := f.Geometry.(orb.Point)
			country, _ := f.Properties["country"].(string)
			if !ok || country == "" {
				continue
			}
			in := false
			for _, name := range strings.Split(country, ";") {
				area, ok := countries[strings.TrimSpace(name)]
				if !ok {
					t.Errorf("%s/%s: country %q is not a basemap country", l.ID, f.ID, name)
					continue
				}
				in = in || inside(area, pt)
			}
			if !in {
				t.Errorf("%s/%s at %v is not inside %s", l.ID, f.ID, pt, country)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d points name a country", checked)
	}

	// The cases the issue names, whatever the properties say.
	named := []struct{ layer, feature, country string }{
		{"bases", "gyumri-102nd-base", "Armenia"},
		{"bases-context", "erebuni-air-base", "Armenia"},
		{"events", "azal-crash-aktau-2024", "Kazakhstan"},
		{"events", "zvartnots-border-guards-withdrawal", "Armenia"},
	}
	for _, n := range named {
		f := feature(t, d, n.layer, n.feature)
		if !inside(countries[n.country], f.Geometry.(orb.Point)) {
			t.Errorf("%s is not inside %s", n.feature, n.country)
		}
	}
	// Nakhchivan, an area, lies inside Azerbaijan.
	nk := feature(t, d, "countries", "nakhchivan-ar")
	c, _ := planar.CentroidArea(nk.Geometry)
	if !inside(countries["Azerbaijan"], c) || inside(countries["Armenia"], c) {
		t.Errorf("Nakhchivan's centroid %v is not inside Azerbaijan", c)
	}
}

func feature(t *testing.T, d *layers.Dataset, layer, id string) layers.Feature {
	t.Helper()
	for _, f := range d.Features[layer] {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no feature %s/%s", layer, id)
	return layers.Feature{}
}

// Disagreement stays visible: the Gyumri base carries both the reported
// reinforcement and Armenia's denial; the Abu Dhabi meeting both dates.
func TestContestedClaimsKeepBothSides(t *testing.T) {
	d := dataset(t)
	for _, tt := range []struct{ layer, feature string }{
		{"bases", "gyumri-102nd-base"},
		{"events", "abu-dhabi-meeting-2025"},
	} {
		f := feature(t, d, tt.layer, tt.feature)
		aspects := map[string]map[string]bool{}
		for _, c := range f.Claims {
			if aspects[c.Aspect] == nil {
				aspects[c.Aspect] = map[string]bool{}
			}
			aspects[c.Aspect][c.Relation] = true
		}
		both := false
		for _, rel := range aspects {
			if rel[layers.Supports] && rel[layers.Contradicts] {
				both = true
			}
		}
		if !both {
			t.Errorf("%s: no aspect with both a supporting and a contradicting claim: %v", tt.feature, aspects)
		}
	}
}

// Metadata is only what the articles state.
func TestSourceMetadataAsStated(t *testing.T) {
	d := dataset(t)
	// None of the five states its own date or address.
	want := map[string][4]string{ // publisher, author, published, url
		"000_55cf6c5de83281ea": {"", "", "", ""},
		"001_a84b3cb2517c2389": {"AzerNews", "", "", ""},
		"002_a2eac4f79f08b594": {"", "", "", ""},
		"003_aea58f041a722603": {"commonspace.eu", "Simona Scotti", "", ""},
		"004_70ff61cf739652f9": {"", "", "", ""},
	}
	if len(d.Sources) != len(want) {
		t.Fatalf("%d sources, want %d", len(d.Sources), len(want))
	}
	for _, s := range d.Sources {
		w, ok := want[s.ID]
		if !ok {
			t.Errorf("unexpected source %s", s.ID)
			continue
		}
		if got := [4]string{s.Publisher, s.Author, s.Published, s.URL}; got != w {
			t.Errorf("source %s: publisher/author/published/url = %q, want %q", s.ID, got, w)
		}
	}
}

// Every claim says how directly its passage backs it; an inferred claim says
// how it is inferred; every feature of a cited layer has at least one
// explicit supporting claim, and the others sit in a context layer.
func TestClaimBasis(t *testing.T) {
	d := dataset(t)
	counts := map[string]int{}
	for _, l := range d.Layers {
		for _, f := range d.Features[l.ID] {
			explicit := false
			for _, c := range f.Claims {
				counts[c.Basis]++
				switch c.Basis {
				case layers.Explicit:
					explicit = explicit || c.Relation == layers.Supports
				case layers.Inferred:
					if strings.TrimSpace(c.Note) == "" {
						t.Errorf("%s/%s: inferred claim on %s (%s) has no note", l.ID, f.ID, c.Passage, c.Aspect)
					}
				default:
					t.Errorf("%s/%s: claim on %s (%s) has basis %q", l.ID, f.ID, c.Passage, c.Aspect, c.Basis)
				}
			}
			if l.Cited() && !explicit {
				t.Errorf("%s/%s: a feature of a cited layer without an explicit supporting claim belongs in %s-context", l.ID, f.ID, l.ID)
			}
			if l.Kind == layers.KindContext && explicit {
				t.Errorf("%s/%s: has explicit support, so it belongs in %s, not in its context layer", l.ID, f.ID, l.ContextOf)
			}
		}
	}
	if counts[layers.Explicit] == 0 || counts[layers.Inferred] == 0 {
		t.Errorf("claims by basis: %v", counts)
	}
}

// Each layer holds one kind of geometry (Multi- forms mix with the single
// form): borders are lines, countries areas, and a context layer has its
// parent's type.
func TestOneGeometryTypePerLayer(t *testing.T) {
	d := dataset(t)
	class := func(g orb.Geometry) string {
		switch g.(type) {
		case orb.Point, orb.MultiPoint:
			return "point"
		case orb.LineString, orb.MultiLineString:
			return "line"
		case orb.Polygon, orb.MultiPolygon:
			return "area"
		}
		return g.GeoJSONType()
	}
	types := map[string]string{}
	for _, l := range d.Layers {
		if l.Kind == layers.KindBasemap {
			continue // reference geography (land, border lines, towns), not a collection
		}
		for _, f := range d.Features[l.ID] {
			c := class(f.Geometry)
			if types[l.ID] == "" {
				types[l.ID] = c
			} else if types[l.ID] != c {
				t.Errorf("%s/%s is a %s in a layer of %ss", l.ID, f.ID, c, types[l.ID])
			}
		}
	}
	want := map[string]string{"bases": "point", "borders": "line", "countries": "area", "corridors": "line", "disputed": "area", "events": "point"}
	for id, ty := range want {
		if types[id] != ty {
			t.Errorf("layer %s holds %ss, want %ss", id, types[id], ty)
		}
	}
	byID := map[string]layers.Layer{}
	for _, l := range d.Layers {
		byID[l.ID] = l
	}
	for _, l := range d.Layers {
		if l.Kind != layers.KindContext {
			continue
		}
		parent, ok := byID[l.ContextOf]
		switch {
		case l.ID != l.ContextOf+"-context":
			t.Errorf("context layer %s names %q as its parent", l.ID, l.ContextOf)
		case !ok || !parent.Cited():
			t.Errorf("context layer %s: parent %q is not a cited layer", l.ID, l.ContextOf)
		case types[l.ID] != types[parent.ID]:
			t.Errorf("context layer %s holds %ss, its parent %ss", l.ID, types[l.ID], types[parent.ID])
		}
	}
	// The twelve country areas moved with their ids and claims.
	for _, id := range []string{"armenia", "azerbaijan", "georgia", "russia", "turkiye", "iran", "tajikistan", "kyrgyzstan", "uzbekistan", "kazakhstan", "ukraine", "nakhchivan-ar"} {
		if f := feature(t, d, "countries", id); len(f.Claims) == 0 {
			t.Errorf("countries/%s has no claims", id)
		}
	}
}

// The errors the review found stay fixed.
func TestReviewedClaimsStayFixed(t *testing.T) {
	d := dataset(t)
	cites := func(f layers.Feature, passage, aspect string) *layers.Claim {
		for i, c := range f.Claims {
			if c.Passage == passage && (aspect == "" || c.Aspect == aspect) {
				return &f.Claims[i]
			}
		}
		return nil
	}
	// p002-07 is about the Zangezur corridor; no article names Lachin.
	if c := cites(feature(t, d, "corridors-context", "lachin-corridor"), "p002-07", ""); c != nil {
		t.Errorf("lachin-corridor still cites p002-07 (%s)", c.Aspect)
	}
	// "Crossroads of Peace" is Armenia's own project, not an alias of the corridor.
	z := feature(t, d, "corridors", "zangezur-corridor-tripp")
	if a, _ := z.Properties["aliases"].(string); strings.Contains(a, "Crossroads of Peace") {
		t.Errorf("zangezur-corridor-tripp aliases %q", a)
	}
	for _, c := range z.Claims {
		if c.Aspect == "aliases" && c.Passage == "p004-19" {
			t.Errorf("p004-19 backs the corridor's aliases")
		}
	}
	// The March 2025 announcement does not back the 8 August initialling.
	w := feature(t, d, "events", "washington-summit-2025")
	if c := cites(w, "p004-04", ""); c != nil {
		t.Errorf("washington-summit-2025 cites p004-04 for %s", c.Aspect)
	}
	if c := cites(w, "p003-19", "peace_agreement"); c == nil || c.Basis != layers.Explicit {
		t.Errorf("washington-summit-2025: the initialling is not backed explicitly by p003-19: %+v", c)
	}
	// Gyumri's existence rests on the passage that names the base.
	if c := cites(feature(t, d, "bases", "gyumri-102nd-base"), "p004-06", "existence"); c == nil || c.Basis != layers.Explicit || c.Relation != layers.Supports {
		t.Errorf("gyumri-102nd-base: no explicit existence claim on p004-06: %+v", c)
	}
	// Who mediated in Abu Dhabi is a property with both sides.
	ad := feature(t, d, "events", "abu-dhabi-meeting-2025")
	if s := cites(ad, "p000-08", "mediation"); s == nil || s.Relation != layers.Supports {
		t.Errorf("abu-dhabi-meeting-2025: p000-08 does not support the mediation: %+v", s)
	}
	if c := cites(ad, "p004-01", "mediation"); c == nil || c.Relation != layers.Contradicts {
		t.Errorf("abu-dhabi-meeting-2025: p004-01 does not contradict the mediation: %+v", c)
	}
	if m, _ := ad.Properties["mediation"].(string); m == "" {
		t.Errorf("abu-dhabi-meeting-2025 has no mediation property")
	}
}

// The events the articles state are cited features, each with an explicit
// supporting claim for its existence and its date from the passages.
func TestEventsTheArticlesState(t *testing.T) {
	d := dataset(t)
	for _, tt := range []struct {
		feature, from, passage string
	}{
		{"karabakh-war-2020", "2020", "p002-04"},
		{"karabakh-offensive-2023", "2023-09-19", "p000-06"},
		{"draft-peace-treaty-announcement-2025", "2025-03", "p004-04"},
		{"kremlin-statement-2025-07-10", "2025-07-10", "p004-21"},
	} {
		f := feature(t, d, "events", tt.feature)
		if got, _ := f.Properties["valid_from"].(string); got != tt.from {
			t.Errorf("%s: valid_from %q, want %q", tt.feature, got, tt.from)
		}
		explicit := false
		for _, c := range f.Claims {
			if c.Passage == tt.passage && c.Aspect == "existence" && c.Basis == layers.Explicit && c.Relation == layers.Supports {
				explicit = true
			}
		}
		if !explicit {
			t.Errorf("%s: no explicit existence claim on %s", tt.feature, tt.passage)
		}
	}
	// Dated by the article, placed only by the gazetteer: context.
	for _, id := range []string{"kyrgyz-tajik-clashes-2021", "kyrgyz-tajik-clashes-2022"} {
		feature(t, d, "events-context", id)
	}
	// The 1994–2020 line of Nagorno-Karabakh is not shown for 2020–2023.
	nk := feature(t, d, "disputed", "nagorno-karabakh")
	if to, _ := nk.Properties["valid_to"].(string); to != "2020-11-10" {
		t.Errorf("nagorno-karabakh (the 1994–2020 line) valid until %q", to)
	}
}
