package places_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/citemap/citemap/layers/places"
)

func TestBundledGazetteer(t *testing.T) {
	gaz, err := places.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if len(gaz) < 1000 {
		t.Fatalf("%d entries: the bundled gazetteer is missing", len(gaz))
	}
	kinds := map[string]int{}
	for _, e := range gaz {
		kinds[e.Kind]++
		if e.Source == "" {
			t.Errorf("%s has no source", e.Name)
		}
		if !strings.Contains(e.Source, "GeoNames") && !strings.Contains(e.Source, "Natural Earth") {
			t.Errorf("%s: source %q names neither GeoNames nor Natural Earth", e.Name, e.Source)
		}
	}
	for _, k := range []string{places.KindCountry, places.KindRegion, places.KindCity, places.KindCapital} {
		if kinds[k] == 0 {
			t.Errorf("no entry of kind %s", k)
		}
	}
	// The file states its licence in its first line.
	b, err := os.ReadFile("gazetteer.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(io.LimitReader(zr, 400))
	if !strings.Contains(string(head), "CC BY 4.0") || !strings.Contains(string(head), "public domain") {
		t.Errorf("the gazetteer's header does not state its licences: %q", head)
	}
}

func TestReadGazetteerErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"too few fields", "city\tKapan\t\t46.4\t39.2\tAM\t1000\n", "7 fields"},
		{"bad longitude", "city\tKapan\t\t246.4\t39.2\tAM\t1000\tsrc\n", "bad coordinates"},
		{"bad latitude", "city\tKapan\t\t46.4\tnorth\tAM\t1000\tsrc\n", "bad coordinates"},
		{"bad population", "city\tKapan\t\t46.4\t39.2\tAM\tmany\tsrc\n", "bad coordinates or population"},
		{"unknown kind", "mountain\tAragats\t\t44.2\t40.5\tAM\t0\tsrc\n", "unknown kind"},
		{"no source", "city\tKapan\t\t46.4\t39.2\tAM\t1000\t\n", "needs a name and a source"},
		{"no name", "city\t\t\t46.4\t39.2\tAM\t1000\tsrc\n", "needs a name and a source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := places.ReadGazetteer(strings.NewReader("# comment\n" + tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 2") {
				t.Fatalf("err = %v, want one naming line 2 and %q", err, tt.want)
			}
		})
	}
	got, err := places.ReadGazetteer(strings.NewReader("city\tKapan\tGhapan;Qafan\t46.4\t39.2\tAM\t40000\tGeoNames 174875\n"))
	if err != nil || len(got) != 1 || got[0].Names[1] != "Qafan" || got[0].Population != 40000 || got[0].Lon != 46.4 {
		t.Fatalf("got %+v, %v", got, err)
	}
}
