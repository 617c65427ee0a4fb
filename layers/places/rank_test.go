package places_test

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/places"
)

func entry(kind, name string, lon, lat float64, pop int) places.Entry {
	return places.Entry{Place: places.Place{Name: name, Lon: lon, Lat: lat, Source: "test"}, Kind: kind, Population: pop}
}

var caucasus = orb.Bound{Min: orb.Point{38, 37}, Max: orb.Point{51, 44}}

func TestRanking(t *testing.T) {
	gaz := []places.Entry{
		entry(places.KindCountry, "Georgia", 43.5, 42.2, 0),
		entry(places.KindRegion, "Georgia", -84.39, 33.75, 0), // the US state, at Atlanta
		entry(places.KindCity, "Tbilisi", 44.83, 41.69, 1_000_000),
		entry(places.KindCity, "Sukhumi", 41.02, 43.0, 60_000),
		entry(places.KindCity, "Atlanta", -84.39, 33.75, 500_000),
		entry(places.KindCity, "Savannah", -81.1, 32.08, 150_000),
		entry(places.KindCity, "Alexandria", 29.9, 31.2, 5_000_000), // Egypt
		entry(places.KindCity, "Alexandria", 44.5, 40.5, 2_000),     // an invented village inside the extent
		entry(places.KindCity, "Gyumri", 43.85, 40.79, 120_000),
		entry(places.KindCapital, "Washington", -77.04, 38.9, 690_000),
		entry(places.KindRegion, "Washington", -122.9, 47.04, 0),
	}
	base := feature("bases", "gyumri-base", 43.86, 40.8, map[string]any{"name": "Russian base at Gyumri", "aliases": "Gyumri"})
	tests := []struct {
		name     string
		features []layers.Feature
		extent   orb.Bound
		text     string
		mention  string
		wantLon  float64 // of the top candidate's place; 0 when a feature
		wantFeat string
	}{
		{"inside the extent outranks a namesake elsewhere", nil, caucasus, "Georgia", "Georgia", 43.5, ""},
		{"context: Tbilisi makes Georgia the country", nil, orb.Bound{}, "Georgia's capital, Tbilisi, and Sukhumi.", "Georgia", 43.5, ""},
		{"context: Atlanta and Savannah make Georgia the US state", nil, orb.Bound{}, "Atlanta and Savannah, Georgia.", "Georgia", -84.39, ""},
		{"a small village inside the extent outranks a city elsewhere", nil, caucasus, "Alexandria", "Alexandria", 44.5, ""},
		{"a capital outranks the state named like it", nil, caucasus, "talks in Washington", "Washington", -77.04, ""},
		{"a feature alias outranks a gazetteer hit", []layers.Feature{base}, caucasus, "Gyumri", "Gyumri", 0, "bases/gyumri-base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := places.New(tt.features, gaz, places.Options{Extent: tt.extent})
			if err != nil {
				t.Fatal(err)
			}
			var got *places.Suggestion
			for _, s := range m.Suggest(layers.Normalize(tt.text)) {
				if s.Exact == tt.mention {
					got = &s
				}
			}
			if got == nil {
				t.Fatalf("%q not found", tt.mention)
			}
			if len(got.Candidates) < 2 {
				t.Fatalf("one candidate only: nothing ranked: %+v", got.Candidates)
			}
			c := got.Candidates[0]
			if tt.wantFeat != "" {
				if c.Feature != tt.wantFeat {
					t.Errorf("top = %+v, want %s", c, tt.wantFeat)
				}
				return
			}
			if c.Place == nil || c.Place.Lon != tt.wantLon {
				t.Errorf("top = %+v %+v, want the place at lon %v", c, c.Place, tt.wantLon)
			}
			for i := 1; i < len(got.Candidates); i++ {
				if got.Candidates[i].Score > got.Candidates[i-1].Score {
					t.Errorf("candidates not ordered by score: %+v", got.Candidates)
				}
			}
		})
	}
}

func TestSuggestionsCreateNothing(t *testing.T) {
	fs := []layers.Feature{feature("bases", "gyumri", 43.85, 40.79, map[string]any{"name": "Gyumri"})}
	gaz := []places.Entry{entry(places.KindCity, "Kapan", 46.4, 39.2, 40_000)}
	m, err := places.New(fs, gaz, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Suggest("Gyumri and Kapan and Goris.")
	if len(fs[0].Claims) != 0 || len(fs[0].Properties) != 1 || gaz[0].Name != "Kapan" || len(gaz) != 1 {
		t.Error("Suggest changed its inputs")
	}
}

func TestCandidatesAreCapped(t *testing.T) {
	var gaz []places.Entry
	for i := range 20 {
		gaz = append(gaz, entry(places.KindCity, "Alexandria", 20+float64(i), 30, 1000*(i+1)))
	}
	m, err := places.New(nil, gaz, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Suggest("Alexandria")
	if len(s) != 1 || len(s[0].Candidates) != places.MaxCandidates {
		t.Fatalf("got %+v", s)
	}
	// The most populous namesakes are the ones kept.
	if c := s[0].Candidates[0]; c.Place.Lon != 39 {
		t.Errorf("top candidate %+v, want the largest town", c.Place)
	}
}

func TestExtentIgnoresOutliers(t *testing.T) {
	var fs []layers.Feature
	for i := range 30 {
		fs = append(fs, feature("bases", "b"+string(rune('a'+i)), 43+float64(i%5), 39+float64(i%4), map[string]any{"name": "Base"}))
	}
	fs = append(fs, feature("events", "summit", -77.04, 38.9, map[string]any{"name": "Washington summit"}))
	m, err := places.New(fs, nil, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := m.Extent()
	if e.Min[0] < 35 || e.Max[0] > 55 || !e.Contains(orb.Point{44.5, 40.2}) {
		t.Errorf("extent %v: want the Caucasus, not the Atlantic", e)
	}
	// The dataset's own extent: the real features put Yerevan inside.
	m, err = places.New(datasetFeatures(t), nil, places.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Extent(); !e.Contains(orb.Point{44.51, 40.18}) || e.Contains(orb.Point{-77.04, 38.9}) {
		t.Errorf("dataset extent %v", e)
	}
}
