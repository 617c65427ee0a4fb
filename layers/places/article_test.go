package places_test

import (
	"os"
	"strings"
	"testing"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/places"
)

// testdata/article.txt is a report written for this test (not one of the
// dataset's sources): it names the corridor, Nakhchivan, Syunik, Gyumri and
// Georgia under the spellings news use.
func TestSuggestOnAnUnseenArticle(t *testing.T) {
	gaz, err := places.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	m, err := places.New(datasetFeatures(t), gaz, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/article.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := layers.Normalize(string(raw))
	sugs := m.Suggest(text)
	r := []rune(text)
	byExact := map[string][]places.Suggestion{}
	for _, s := range sugs {
		if string(r[s.Start:s.End]) != s.Exact {
			t.Errorf("%q: offsets %d..%d hold %q", s.Exact, s.Start, s.End, string(r[s.Start:s.End]))
		}
		byExact[s.Exact] = append(byExact[s.Exact], s)
	}
	top := func(exact string) places.Candidate {
		t.Helper()
		s, ok := byExact[exact]
		if !ok {
			t.Fatalf("%q not found; found %v", exact, keys(byExact))
		}
		return s[0].Candidates[0]
	}
	inBox := func(c places.Candidate, minLon, minLat, maxLon, maxLat float64) bool {
		return c.Place != nil && c.Place.Lon >= minLon && c.Place.Lon <= maxLon && c.Place.Lat >= minLat && c.Place.Lat <= maxLat
	}

	// The corridor, under the names each side uses.
	for _, exact := range []string{"Zangazur corridor", "Trump Route for International Peace and Prosperity", "Trump Route"} {
		if c := top(exact); !strings.HasSuffix(c.Feature, "/zangezur-corridor-tripp") {
			t.Errorf("%q resolves to %+v, want the corridor", exact, c)
		}
	}
	// Nakhchivan under three spellings: the dataset's exclave.
	for _, exact := range []string{"Nakhchivan", "Nakhichevan", "Naxçıvan"} {
		if c := top(exact); !strings.HasSuffix(c.Feature, "/nakhchivan-ar") {
			t.Errorf("%q resolves to %+v, want the Nakhchivan exclave", exact, c)
		}
	}
	// Syunik (and Siunik): the Armenian province, from the gazetteer.
	for _, exact := range []string{"Syunik", "Siunik"} {
		c := top(exact)
		if c.Place == nil || c.Place.Name != "Syunik" || !inBox(c, 45.8, 38.8, 46.7, 39.9) || c.Place.Source == "" {
			t.Errorf("%q resolves to %+v, want the Syunik province", exact, c.Place)
		}
	}
	// Gyumri and its Soviet name point at the same thing, and the city is
	// offered too.
	g, l := top("Gyumri"), top("Leninakan")
	if g.Feature == "" || g.Feature != l.Feature {
		t.Errorf("Gyumri -> %+v, Leninakan -> %+v: want the same feature", g, l)
	}
	if !hasPlace(byExact["Leninakan"][0], "Gyumri") {
		t.Error("Leninakan does not offer the city of Gyumri")
	}
	// Georgia beside Tbilisi and Abkhazia is the country, and the US state,
	// if offered, comes after every Caucasus candidate.
	gs := byExact["Georgia"][0]
	if c := gs.Candidates[0]; !strings.HasSuffix(c.Feature, "/georgia") && !inBox(c, 40, 41, 47, 44) {
		t.Errorf("Georgia resolves to %+v", c)
	}
	for i, c := range gs.Candidates {
		if c.Place != nil && c.Place.Lon < 0 && i == 0 {
			t.Errorf("Georgia resolves to a place in the Americas: %+v", c.Place)
		}
	}
	// Other towns of the report, from the gazetteer.
	for _, name := range []string{"Kapan", "Goris", "Kars", "Tabriz", "Tbilisi", "Yerevan", "Baku"} {
		if _, ok := byExact[name]; !ok {
			t.Errorf("%s not found", name)
		}
	}
	if _, ok := byExact["MEGHRI"]; !ok {
		t.Error("the dateline MEGHRI is not found")
	}
	// Words that are towns somewhere are not suggested in running text.
	for _, s := range sugs {
		if strings.ToLower(s.Exact) == s.Exact && len([]rune(s.Exact)) < 5 {
			t.Errorf("suggested the lower-case word %q", s.Exact)
		}
	}
	t.Logf("%d suggestions", len(sugs))
}

func hasPlace(s places.Suggestion, name string) bool {
	for _, c := range s.Candidates {
		if c.Place != nil && c.Place.Name == name {
			return true
		}
	}
	return false
}

func keys(m map[string][]places.Suggestion) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
