package layers

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func TestColumnNames(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"name", "status"}, []string{"name", "status"}},
		{[]string{"fid", "geom", "id", "wkt"}, []string{"prop_fid", "prop_geom", "prop_id", "prop_wkt"}},
		{[]string{"FID", "Geom", "ID", "WKT"}, []string{"prop_FID", "prop_Geom", "prop_ID", "prop_WKT"}},
		{[]string{"id", "prop_id"}, []string{"prop_id", "prop_prop_id"}},
		{[]string{"Name", "name"}, []string{"Name", "prop_name"}},
		{[]string{"prop_fid", "fid"}, []string{"prop_fid", "prop_prop_fid"}},
		{nil, []string{}},
	}
	for _, tt := range tests {
		if got := ColumnNames(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ColumnNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVReservedProperties: a layer whose features carry id, fid, geom and
// wkt properties (a QGIS export has fid) downloads as CSV with one header per
// column and every value under it.
func TestCSVReservedProperties(t *testing.T) {
	props := map[string]any{"id": "own-id", "fid": 7.0, "geom": "g", "wkt": "w", "WKT": "W", "name": "A"}
	sn, err := NewSnapshot(Layer{ID: "x", Title: "X"}, []Feature{{ID: "a", Geometry: orb.Point{1, 2}, Properties: props}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeCSV(sn)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want a header and 1 row:\n%s", len(recs), b)
	}
	seen := map[string]bool{}
	row := map[string]string{}
	for i, h := range recs[0] {
		if seen[h] {
			t.Errorf("header %q repeats: %q", h, recs[0])
		}
		seen[h] = true
		row[h] = recs[1][i]
	}
	want := map[string]string{"id": "a", "prop_id": "own-id", "prop_fid": "7", "prop_geom": "g", "prop_WKT": "W", "prop_prop_wkt": "w", "name": "A", "wkt": "POINT(1 2)"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("column %s = %q, want %q (header %q)", k, row[k], v, recs[0])
		}
	}
}
