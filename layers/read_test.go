package layers

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"
)

func readMini(t *testing.T) *Dataset {
	t.Helper()
	d, err := ReadDir(os.DirFS("testdata/mini"), ".")
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	return d
}

func TestReadDir(t *testing.T) {
	d := readMini(t)
	if len(d.Sources) != 1 || len(d.Passages) != 2 || len(d.Layers) != 2 {
		t.Fatalf("read %d sources, %d passages, %d layers; want 1, 2, 2", len(d.Sources), len(d.Passages), len(d.Layers))
	}
	src := d.Sources[0]
	if src.Text != Normalize(src.Raw) || src.Raw == "" {
		t.Error("source text is not the normalized raw text")
	}
	// Passages given as quotes only get their offsets from the text.
	for _, p := range d.Passages {
		if Verify(src.Text, p.Selector) != VerifiedExact {
			t.Errorf("passage %s does not verify at %d-%d", p.ID, p.Start, p.End)
		}
	}
	g := d.Features["bases"][0]
	if g.ID != "gyumri-102nd-base" || len(g.Claims) != 2 || g.Claims[0].Layer != "bases" || g.Claims[0].Feature != g.ID {
		t.Errorf("feature = %+v", g)
	}
	if _, ok := g.Properties["claims"]; ok {
		t.Error("claims left among the properties")
	}
	// A layer without a `layer` member takes its file name and kind "other";
	// its clockwise square is rewound.
	var zones Layer
	for _, l := range d.Layers {
		if l.ID == "zones" {
			zones = l
		}
	}
	if zones.Kind != KindOther {
		t.Errorf("zones kind = %q, want %q", zones.Kind, KindOther)
	}
	if o := d.Features["zones"][0].Geometry.(orb.Polygon)[0].Orientation(); o != orb.CCW {
		t.Error("clockwise exterior was not rewound")
	}
	if ps := Check(d); len(ps) > 0 {
		t.Fatalf("Check: %v", ps)
	}
}

func TestReadFileErrors(t *testing.T) {
	point := `{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}`
	tests := []struct {
		name, file, body, want string
	}{
		{"malformed", "x.geojson", `{"type":"FeatureCollection","features":[` + point + `,}`, "malformed JSON at line 1"},
		{"truncated", "x.geojson", `{"type":"FeatureCollection","features":[` + point[:40], "unexpected end"},
		{"not a collection", "x.geojson", point, `want a GeoJSON FeatureCollection`},
		{"no id", "x.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}]}`, "has no id"},
		{"no geometry", "x.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":null,"properties":{}}]}`, "no geometry"},
		{"bad geometry type", "x.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Blob","coordinates":[1,2]},"properties":{}}]}`, "geometry"},
		{"basis not a string", "x.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"claims":[{"passage":"p1","aspect":"existence","relation":"supports","basis":true}]}}]}`, "claims must be a list of {passage, aspect, relation, basis"},
		{"claims not a list", "x.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"claims":"p1"}}]}`, "claims must be a list"},
		{"wrong type", "x.geojson", `{"type":"FeatureCollection","features":7}`, "malformed GeoJSON at line 1, column 40"},
		{"source malformed", "s.json", `{"id": "s", "passages": [}`, "malformed JSON"},
		{"source quote missing", "s.json", `{"id": "s", "text": "one two", "passages": [{"id": "p1", "exact": "three"}]}`, "quote not found"},
		{"source text file missing", "s.json", `{"id": "s", "text_file": "nope.txt"}`, "text_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{tt.file: {Data: []byte(tt.body)}}
			_, err := ReadFile(fsys, tt.file, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadFile error = %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file", err)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code = %s, want invalid", ErrorCode(err))
			}
		})
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(d *Dataset)
		id     string
		want   string
	}{
		{"feature loses its last passage", func(d *Dataset) {
			d.Features["bases"][0].Claims = nil
		}, "bases/gyumri-102nd-base", "no supporting passage"},
		{"only a contradicting claim", func(d *Dataset) {
			d.Features["bases"][0].Claims = d.Features["bases"][0].Claims[1:]
		}, "bases/gyumri-102nd-base", "no supporting passage"},
		{"claim on a missing passage", func(d *Dataset) {
			d.Features["bases"][0].Claims[0].Passage = "p-none"
		}, "bases/gyumri-102nd-base", `claim on passage "p-none": the passage does not exist`},
		{"bad relation", func(d *Dataset) {
			d.Features["bases"][0].Claims[1].Relation = "maybe"
		}, "bases/gyumri-102nd-base", "not supports or contradicts"},
		{"source text changed under a passage", func(d *Dataset) {
			d.Sources[0].Text = strings.Replace(d.Sources[0].Text, "swiftly denied", "quickly denied", 1)
		}, "p004-02", "not in source"},
		{"text shifted", func(d *Dataset) {
			d.Sources[0].Text = "Preface. " + d.Sources[0].Text
		}, "p004-01", "not at offsets"},
		{"hash mismatch", func(d *Dataset) {
			d.Sources[0].SHA256 = TextHash("other")
		}, "s004", "does not match"},
		{"passage in boilerplate", func(d *Dataset) {
			d.Sources[0].BodyEnd = 10
		}, "p004-01", "after the article body"},
		{"out of range coordinate", func(d *Dataset) {
			d.Features["bases"][0].Geometry = orb.Point{200, 40}
		}, "bases/gyumri-102nd-base", "outside lon"},
		{"unclosed ring", func(d *Dataset) {
			d.Features["zones"][0].Geometry = orb.Polygon{{{43, 40}, {44, 40}, {44, 41}, {43, 41}}}
		}, "zones/square", "not closed"},
		{"duplicate feature", func(d *Dataset) {
			d.Features["bases"] = append(d.Features["bases"], d.Features["bases"][0])
		}, "bases/gyumri-102nd-base", "duplicate"},
		{"bad feature id", func(d *Dataset) {
			d.Features["bases"][0].ID = "Gyumri Base"
		}, "bases/Gyumri Base", "slug"},
		{"unknown kind", func(d *Dataset) {
			d.Layers[0].Kind = "rivers"
		}, "bases", "kind"},
		{"claim without basis", func(d *Dataset) {
			d.Features["bases"][0].Claims[1].Basis = ""
		}, "bases/gyumri-102nd-base", "claim on passage p004-02 (aspect reinforcement_2025): no basis"},
		{"basis outside the two values", func(d *Dataset) {
			d.Features["bases"][0].Claims[1].Basis = "direct"
		}, "bases/gyumri-102nd-base", `claim on passage p004-02 (aspect reinforcement_2025): basis "direct" is not explicit or inferred`},
		{"inferred claim without a note", func(d *Dataset) {
			d.Features["bases"][0].Claims[1].Basis = Inferred
			d.Features["bases"][0].Claims[1].Note = " "
		}, "bases/gyumri-102nd-base", "claim on passage p004-02 (aspect reinforcement_2025): inferred, but its note does not say how"},
		{"only inferred support", func(d *Dataset) {
			d.Features["bases"][0].Claims[0].Basis = Inferred
			d.Features["bases"][0].Claims[0].Note = "the base is named, the reinforcement is reported"
		}, "bases/gyumri-102nd-base", "has no explicit supporting claim (its support: p004-01 (inferred))"},
		{"explicit support only contradicts", func(d *Dataset) {
			d.Features["bases"][0].Claims[0].Relation = Contradicts
		}, "bases/gyumri-102nd-base", "has no supporting passage"},
		{"context layer without context_of", func(d *Dataset) {
			d.Layers[0].Kind = KindContext
		}, "bases", "must name the cited layer it belongs to in context_of"},
		{"context_of on a cited layer", func(d *Dataset) {
			d.Layers[0].ContextOf = "zones"
		}, "bases", "context_of \"zones\" is only for a layer of kind context"},
		{"context_of names no layer", func(d *Dataset) {
			d.Layers[0].Kind, d.Layers[0].ContextOf = KindContext, "bases-cited"
		}, "bases", `context_of "bases-cited" names no layer of the dataset`},
		{"context_of names an uncited layer", func(d *Dataset) {
			addBasemap(d)
			d.Layers[0].Kind, d.Layers[0].ContextOf = KindContext, "basemap"
		}, "bases", `context_of "basemap" names a layer of kind basemap, not a cited layer`},
		{"country not in the basemap", func(d *Dataset) {
			addBasemap(d)
			d.Features["bases"][0].Properties["country"] = "Armenia;Türkiye"
		}, "bases/gyumri-102nd-base", `country "Türkiye" is not the name of a basemap country`},
		{"country not a string", func(d *Dataset) {
			addBasemap(d)
			d.Features["bases"][0].Properties["country"] = 7.0
		}, "bases/gyumri-102nd-base", "country must be a string"},
		{"point outside its country", func(d *Dataset) {
			addBasemap(d)
			d.Features["bases"][0].Properties["country"] = "Georgia"
		}, "bases/gyumri-102nd-base", "the point (43.84635, 40.79305) lies 56433 m outside Georgia on the basemap (tolerance 500 m)"},
		{"vertex of an area outside its countries", func(d *Dataset) {
			addBasemap(d)
			d.Features["zones"][0].Properties["country"] = "Armenia"
		}, "zones/square", "ring 0, vertex 0 (43.00000, 40.00000) lies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := readMini(t)
			tt.break_(d)
			ps := Check(d)
			found := false
			for _, p := range ps {
				if p.ID == tt.id && strings.Contains(p.Message, tt.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("Check = %v, want a problem on %s containing %q", ps, tt.id, tt.want)
			}
			for _, p := range ps {
				if p.ID == tt.id && p.File == "" {
					t.Errorf("problem %q names no file", p)
				}
			}
			var perr Problems
			if !errors.As(ps.Err(), &perr) && ErrorCode(ps.Err()) != EINVALID {
				t.Errorf("Problems.Err code = %s", ErrorCode(ps.Err()))
			}
		})
	}
}

// A plain GeoJSON layer (no `layer` member) with no evidence at all is
// uncited: a warning, not an error. A citemap layer file without evidence is
// an error.
func TestUncitedLayer(t *testing.T) {
	d := readMini(t)
	d.Features["zones"][0].Claims = nil
	ps := Check(d)
	if len(ps) != 1 || !ps[0].Warning || !strings.Contains(ps[0].Message, "uncited") {
		t.Fatalf("Check = %v, want one uncited warning", ps)
	}
	if ps.Err() != nil {
		t.Errorf("a warning became an error: %v", ps.Err())
	}
	d.Layers[1].Plain = false
	if ps := Check(d); ps.Err() == nil {
		t.Error("a citemap layer without evidence passed")
	}
}

func FuzzReadLayer(f *testing.F) {
	b, err := os.ReadFile("testdata/mini/layers/bases.geojson")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[0,0]]]},"properties":null}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{"claims":[{}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ReadFile(fstest.MapFS{"x.geojson": {Data: body}}, "x.geojson", "")
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v has code %s, want invalid", err, ErrorCode(err))
			}
			return
		}
		// Whatever decodes must be checkable without panicking.
		_ = Check(d)
	})
}

// addBasemap adds a basemap of two boxes standing for Armenia and Georgia.
func addBasemap(d *Dataset) {
	box := func(a, b, c, e float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{a, b}, {c, b}, {c, e}, {a, e}, {a, b}}}}
	}
	d.Layers = append(d.Layers, Layer{ID: "basemap", Kind: KindBasemap, Title: "basemap"})
	d.Files["layer:basemap"] = "layers/basemap.geojson"
	d.Features["basemap"] = []Feature{
		{ID: "armenia", Layer: "basemap", Geometry: box(43.4, 38.8, 46.6, 41.3), Properties: map[string]any{"name": "Armenia"}},
		{ID: "georgia", Layer: "basemap", Geometry: box(40, 41.3, 46.7, 43.6), Properties: map[string]any{"name": "Georgia"}},
		{ID: "yerevan", Layer: "basemap", Geometry: orb.Point{44.51, 40.18}, Properties: map[string]any{"name": "Yerevan"}},
	}
}

// A vertex within the tolerance of its countries passes; one beyond it, or
// a name missing from the basemap, fails; several countries are a union.
func TestCountryRule(t *testing.T) {
	// orb/geo measures on a sphere of radius 6378137 m: 111320 m a degree of latitude.
	north := func(m float64) orb.Point { return orb.Point{44, 41.3 + m/111320} }
	tests := []struct {
		name    string
		geom    orb.Geometry
		country string
		want    string // "" when it passes
	}{
		{"inside", orb.Point{44.5, 40}, "Armenia", ""},
		{"300 m outside", orb.Point{44, 38.8 - 300.0/111320}, "Armenia", ""},
		{"700 m outside", orb.Point{44, 38.8 - 700.0/111320}, "Armenia", "lies 700 m outside Armenia"},
		{"in the second of two", north(5000), "Armenia; Georgia", ""},
		{"a line across into Iran", orb.LineString{{44, 40}, {44.5, 39}, {44.6, 38.7}, {44.7, 38.6}}, "Armenia", "vertex 2 (44.60000, 38.70000) lies 11132 m outside Armenia"},
		{"empty country", orb.Point{0, 0}, "", ""},
		{"a basemap town is not a country", orb.Point{44.5, 40}, "Yerevan", `country "Yerevan" is not the name of a basemap country`},
		{"unknown name", orb.Point{44.5, 40}, "Armenia;Atlantis", `country "Atlantis" is not the name of a basemap country`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := readMini(t)
			addBasemap(d)
			f := &d.Features["bases"][0]
			f.Geometry, f.Properties["country"] = tt.geom, tt.country
			ps := CheckCountries(d)
			if tt.want == "" {
				if len(ps) > 0 {
					t.Fatalf("CheckCountries = %v, want none", ps)
				}
				return
			}
			found := false
			for _, p := range ps {
				if p.ID == "bases/gyumri-102nd-base" && p.File != "" && strings.Contains(p.Message, tt.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("CheckCountries = %v, want a problem containing %q", ps, tt.want)
			}
		})
	}
	// Without a basemap the rule cannot be checked: a warning, not an error.
	d := readMini(t)
	d.Features["bases"][0].Properties["country"] = "Armenia"
	if ps := Check(d); len(ps) != 1 || !ps[0].Warning || !strings.Contains(ps[0].Message, "no basemap") {
		t.Errorf("Check without a basemap = %v, want one warning", ps)
	}
}

// A context layer holds features whose support is only inferred: no
// explicit claim is needed there, and it names its cited layer.
func TestContextLayer(t *testing.T) {
	d := readMini(t)
	ctx := d.Features["bases"][0]
	ctx.ID, ctx.Layer = "gyumri-context", "bases-context"
	ctx.Claims = []Claim{{Passage: "p004-01", Aspect: "existence", Relation: Supports, Basis: Inferred, Note: "the base's reinforcement implies the base"}}
	d.Layers = append(d.Layers, Layer{ID: "bases-context", Kind: KindContext, ContextOf: "bases", Title: "Bases (context)"})
	d.Features["bases-context"] = []Feature{ctx}
	d.Files["layer:bases-context"] = "layers/bases-context.geojson"
	if ps := Check(d); len(ps) > 0 {
		t.Fatalf("Check = %v, want none", ps)
	}
	// Its claims are still checked.
	d.Features["bases-context"][0].Claims[0].Note = ""
	ps := Check(d)
	if len(ps) != 1 || ps[0].ID != "bases-context/gyumri-context" || ps[0].File != "layers/bases-context.geojson" || !strings.Contains(ps[0].Message, "claim on passage p004-01") {
		t.Errorf("Check = %v, want the inferred claim without a note", ps)
	}
}
