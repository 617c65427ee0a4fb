package query

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/citemap/citemap/layers"
)

func TestWriteLinksIsJSON(t *testing.T) {
	var buf bytes.Buffer
	in := []layers.Link{{Href: `http://x/"a"<b>&é`, Rel: "self", Type: "t", Title: "\x01 tab\t"}, {Href: "h", Rel: "r"}}
	WriteLinks(&buf, in)
	var out []layers.Link
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	if len(out) != 2 || out[0] != in[0] || out[1] != in[1] {
		t.Errorf("round trip = %+v", out)
	}
}

func TestWriteFeature(t *testing.T) {
	b := layers.Body{ID: `a"b`, Geometry: []byte(`{"type":"Point","coordinates":[44,40]}`),
		Properties: []byte(`{"name":"Gyumri","source_count":2,"passage_ids":"p1;p2"}`), Passages: []string{"p1", "p2", "p1"}}
	for _, tc := range []struct {
		name  string
		props []string
		want  map[string]any
		err   bool
	}{
		{"all", nil, map[string]any{"name": "Gyumri", "source_count": 2.0, "passage_ids": "p1;p2"}, false},
		{"some", []string{"name", "absent"}, map[string]any{"name": "Gyumri"}, false},
		{"none", []string{}, map[string]any{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFeature(&buf, "bases", b, tc.props, "http://h"); err != nil {
				t.Fatal(err)
			}
			var f struct {
				Type       string         `json:"type"`
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
				Links      []layers.Link  `json:"links"`
			}
			if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
				t.Fatalf("%s: %v", buf.Bytes(), err)
			}
			if f.Type != "Feature" || f.ID != `a"b` || len(f.Properties) != len(tc.want) {
				t.Errorf("feature = %+v", f)
			}
			for k, v := range tc.want {
				if f.Properties[k] != v {
					t.Errorf("%s = %v, want %v", k, f.Properties[k], v)
				}
			}
			// self, alternate, collection, and each passage once.
			if len(f.Links) != 5 || f.Links[0].Href != "http://h/collections/bases/items/a%22b?f=json" || f.Links[4].Href != "http://h/passages/p2?f=json" {
				t.Errorf("links = %+v", f.Links)
			}
		})
	}
	var buf bytes.Buffer
	bad := b
	bad.Properties = []byte(`{`)
	if err := WriteFeature(&buf, "bases", bad, []string{"name"}, ""); err == nil {
		t.Error("broken stored properties were written")
	}
}
