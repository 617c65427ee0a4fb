package places_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/places"
)

// datasetFeatures are the bundled dataset's features, the basemap aside.
func datasetFeatures(t testing.TB) []layers.Feature {
	t.Helper()
	d, err := layers.ReadDir(data.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	var fs []layers.Feature
	for _, l := range d.Layers {
		if l.Kind != layers.KindBasemap {
			fs = append(fs, d.Features[l.ID]...)
		}
	}
	return fs
}

func feature(layer, id string, lon, lat float64, props map[string]any) layers.Feature {
	return layers.Feature{ID: id, Layer: layer, Geometry: orb.Point{lon, lat}, Properties: props}
}

func TestSuggestWholeWordsFoldedAndVariants(t *testing.T) {
	fs := []layers.Feature{
		feature("borders", "nakhchivan-ar", 45.4, 39.2, map[string]any{"name": "Nakhchivan Autonomous Republic", "aliases": "Nakhchivan"}),
		feature("corridors", "zangezur", 46.2, 38.9, map[string]any{"name": "Zangezur corridor", "aliases": "Trump Route for International Peace and Prosperity"}),
		feature("bases", "gyumri", 43.85, 40.79, map[string]any{"name": "Gyumri base", "aliases": "Gyumri"}),
		feature("disputed", "south-ossetia", 44.0, 42.3, map[string]any{"name": "South Ossetia"}),
		feature("disputed", "ossetia", 44.6, 43.0, map[string]any{"name": "Ossetia"}),
	}
	m, err := places.New(fs, nil, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string // "exact=layer/id" of each suggestion, in order
	}{
		{"Trains to Nakhchivan.", []string{"Nakhchivan=borders/nakhchivan-ar"}},
		{"Trains to NAXÇIVAN and nakhichevan.", []string{"NAXÇIVAN=borders/nakhchivan-ar", "nakhichevan=borders/nakhchivan-ar"}},
		{"the Nakhchivan Autonomous Republic", []string{"Nakhchivan Autonomous Republic=borders/nakhchivan-ar"}},
		{"the Zangazur Corridor", []string{"Zangazur Corridor=corridors/zangezur"}},
		{"the Zangezur-corridor", []string{"Zangezur-corridor=corridors/zangezur"}},
		{"the so-called Trump Route", []string{"Trump Route=corridors/zangezur"}},
		{"the Trump Route for International Peace and Prosperity", []string{"Trump Route for International Peace and Prosperity=corridors/zangezur"}},
		{"Zangezur. Corridor", nil}, // a sentence break is not a name
		{"Zangezur\ncorridor", nil},
		{"Leninakan (Gyumri)", []string{"Leninakan=bases/gyumri", "Gyumri=bases/gyumri"}},
		{"Gyumri's base", []string{"Gyumri=bases/gyumri"}},
		{"Nakh\u00adchivan and Gyumri\u200b.", []string{"Nakh\u00adchivan=borders/nakhchivan-ar", "Gyumri=bases/gyumri"}},
		{"Gyumrian", nil},  // not a whole word
		{"preGyumri", nil}, // not a whole word
		{"South Ossetia", []string{"South Ossetia=disputed/south-ossetia"}}, // longest name wins
		{"North Ossetia", []string{"Ossetia=disputed/ossetia"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			text := layers.Normalize(tt.text)
			var got []string
			for _, s := range m.Suggest(text) {
				if r := []rune(text); string(r[s.Start:s.End]) != s.Exact {
					t.Errorf("offsets %d..%d give %q, not %q", s.Start, s.End, string(r[s.Start:s.End]), s.Exact)
				}
				got = append(got, s.Exact+"="+s.Candidates[0].Feature)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSuggestJSONShape(t *testing.T) {
	m, err := places.New(nil, []places.Entry{{Place: places.Place{Name: "Kapan", Lon: 46.4, Lat: 39.2, Source: "test"}, Kind: places.KindCity, Country: "AM", Population: 40000}}, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"suggestions": m.Suggest("From Kapan.")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"suggestions":[{"start":5,"end":10,"exact":"Kapan","candidates":[{"feature":null,"place":{"name":"Kapan","lon":46.4,"lat":39.2,"source":"test"},"score":0.584}]}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestNewNeedsNames(t *testing.T) {
	if _, err := places.New(nil, nil, places.Options{}); err == nil {
		t.Fatal("a matcher with nothing to match was built")
	}
}

func FuzzSuggest(f *testing.F) {
	m, err := places.New(datasetFeatures(f), nil, places.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Georgia's capital Tbilisi and the Zangazur Corridor to Naxçıvan")
	f.Add("Ts’khinvali\nSouth  Ossetia")
	f.Add("İĞDIR ıi ǅ ﬁ")
	f.Fuzz(func(t *testing.T, s string) {
		text := layers.Normalize(s)
		r := []rune(text)
		last := 0
		for _, sug := range m.Suggest(text) {
			if sug.Start < last || sug.End <= sug.Start || sug.End > len(r) {
				t.Fatalf("bad range %d..%d after %d in %d code points", sug.Start, sug.End, last, len(r))
			}
			if string(r[sug.Start:sug.End]) != sug.Exact {
				t.Fatalf("exact %q is not the text at its offsets", sug.Exact)
			}
			if len(sug.Candidates) == 0 {
				t.Fatal("a suggestion without candidates")
			}
			last = sug.End
		}
	})
}

func TestBundledFindsNorthCaucasusUnderEnglishNames(t *testing.T) {
	gaz, err := places.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	m, err := places.New(nil, gaz, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "Ingushetia, Kabardino-Balkaria, Karachay-Cherkessia and Kalmykia; Etchmiadzin."
	var got []string
	for _, s := range m.Suggest(text) {
		got = append(got, s.Exact)
	}
	want := []string{"Ingushetia", "Kabardino-Balkaria", "Karachay-Cherkessia", "Kalmykia", "Etchmiadzin"}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "|"), w) {
			t.Errorf("%s not found in %q", w, got)
		}
	}
}
