package places_test

import (
	"os"
	"testing"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/places"
)

// BenchmarkNew is the cost of building a matcher from the dataset and the
// bundled gazetteer: what a server pays once per data version.
func BenchmarkNew(b *testing.B) {
	fs := datasetFeatures(b)
	gaz, err := places.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := places.New(fs, gaz, places.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSuggest is the cost of one article's suggestions.
func BenchmarkSuggest(b *testing.B) {
	gaz, err := places.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	m, err := places.New(datasetFeatures(b), gaz, places.Options{})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/article.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := layers.Normalize(string(raw))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Suggest(text)
	}
}
