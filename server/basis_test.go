package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

const hostileNote = `<img src=x onerror=alert(1)> the base is implied by "troops in Armenia"`

// newBasisServer serves the mini dataset with an inferred claim on Gyumri
// (listed first, before its explicit ones) and a context layer whose one
// feature rests on an inferred claim only.
func newBasisServer(t *testing.T) *Server {
	t.Helper()
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	g := &d.Features["bases"][0]
	g.Claims = append([]layers.Claim{{Feature: g.ID, Layer: "bases", Passage: "p004-02", Aspect: "existence",
		Relation: layers.Supports, Basis: layers.Inferred, Note: hostileNote}}, g.Claims...)
	d.Layers = append(d.Layers, layers.Layer{ID: "bases-context", Kind: layers.KindContext, ContextOf: "bases", Title: "Bases (context)"})
	d.Features["bases-context"] = []layers.Feature{{ID: "erebuni", Layer: "bases-context", Geometry: orb.Point{44.47, 40.12},
		Properties: map[string]any{"name": "Erebuni"},
		Claims: []layers.Claim{{Feature: "erebuni", Layer: "bases-context", Passage: "p004-01", Aspect: "existence",
			Relation: layers.Supports, Basis: layers.Inferred, Note: "Russian personnel in Armenia, the air base not named"}}}}
	if ps := layers.Check(d); ps.Err() != nil {
		t.Fatalf("the test dataset breaks the rules: %v", ps)
	}
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Import(context.Background(), d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(store, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBasisInItemEvidence(t *testing.T) {
	s := newBasisServer(t)
	_, b := do(t, s, "GET", "/collections/bases/items/gyumri-102nd-base?f=json")
	var item struct {
		Properties map[string]any
		Evidence   []struct{ Passage, Aspect, Basis, Note string }
	}
	if err := json.Unmarshal(b, &item); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range item.Evidence {
		got = append(got, e.Passage+"/"+e.Aspect+"/"+e.Basis)
	}
	// Explicit first, in the feature's order; the inferred claim last.
	want := "p004-01/reinforcement_2025/explicit p004-02/reinforcement_2025/explicit p004-02/existence/inferred"
	if strings.Join(got, " ") != want {
		t.Errorf("evidence = %s, want %s", strings.Join(got, " "), want)
	}
	if n := len(item.Evidence); n == 3 && item.Evidence[2].Note != hostileNote {
		t.Errorf("inferred note = %q", item.Evidence[2].Note)
	}

	// source_count counts sources of explicit claims only.
	for _, tc := range []struct {
		layer string
		want  float64
	}{{"bases", 1}, {"bases-context", 0}} {
		_, b = do(t, s, "GET", "/layers/"+tc.layer+".geojson")
		fc := decode(t, b)
		props := fc["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
		if props["source_count"] != tc.want {
			t.Errorf("%s: source_count = %v, want %v", tc.layer, props["source_count"], tc.want)
		}
	}

	// The HTML item marks the inferred claim and its note, escaped.
	_, b = do(t, s, "GET", "/collections/bases/items/gyumri-102nd-base?f=html")
	html := string(b)
	if strings.Count(html, `data-basis="explicit"`) != 2 || strings.Count(html, `data-basis="inferred"`) != 1 ||
		!strings.Contains(html, `<span class="badge badge-inferred">inferred</span>`) || !strings.Contains(html, "Inferred: &lt;img src=x") {
		t.Errorf("item page does not mark the inferred claim:\n%s", html)
	}
	if strings.Contains(html, "<img src=x") {
		t.Error("the note became markup")
	}
	if strings.Index(html, `data-basis="inferred"`) < strings.LastIndex(html, `data-basis="explicit"`) {
		t.Error("the inferred claim is not listed after the explicit ones")
	}
}

func TestBasisInPassagesAnnotationsAndCSV(t *testing.T) {
	s := newBasisServer(t)
	_, b := do(t, s, "GET", "/passages/p004-02?f=json")
	var p struct {
		Features []struct {
			Feature string
			Claims  []layers.Claim
		}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	bases := map[string]string{}
	for _, f := range p.Features {
		for _, c := range f.Claims {
			bases[f.Feature+"/"+c.Aspect] = c.Basis + "|" + c.Note
		}
	}
	if bases["gyumri-102nd-base/existence"] != "inferred|"+hostileNote || bases["gyumri-102nd-base/reinforcement_2025"] != "explicit|" {
		t.Errorf("/passages/p004-02 claims = %v", bases)
	}
	_, b = do(t, s, "GET", "/passages?f=json")
	if !strings.Contains(string(b), `"basis":"inferred"`) || !strings.Contains(string(b), `"basis":"explicit"`) {
		t.Errorf("/passages lacks the basis: %s", b)
	}

	_, b = do(t, s, "GET", "/annotations")
	var coll struct {
		First struct {
			Items []struct {
				ID    string
				Basis string `json:"citemap:basis"`
				Note  string `json:"citemap:note"`
			}
		}
	}
	if err := json.Unmarshal(b, &coll); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, a := range coll.First.Items {
		counts[a.Basis]++
		if a.Basis == layers.Inferred && a.Note == "" {
			t.Errorf("inferred annotation %s has no note", a.ID)
		}
	}
	if counts[layers.Explicit] != 3 || counts[layers.Inferred] != 2 || len(coll.First.Items) != 5 {
		t.Errorf("annotation bases = %v of %d", counts, len(coll.First.Items))
	}

	_, b = do(t, s, "GET", "/passages.csv")
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if _, ok := col["basis"]; !ok {
		t.Fatalf("passages.csv header %v has no basis", rows[0])
	}
	found := false
	for _, r := range rows[1:] {
		if r[col["feature_id"]] == "erebuni" {
			found = r[col["basis"]] == "inferred" && r[col["note"]] == "Russian personnel in Armenia, the air base not named"
		}
	}
	if !found {
		t.Errorf("passages.csv lacks erebuni's inferred claim with its note:\n%s", b)
	}
}

func TestContextLayerInCollections(t *testing.T) {
	s := newBasisServer(t)
	_, b := do(t, s, "GET", "/collections?f=json")
	var out struct {
		Collections []struct {
			ID        string
			Kind      string
			Uncited   bool
			ContextOf string `json:"context_of"`
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range out.Collections {
		order = append(order, c.ID)
		switch c.ID {
		case "bases-context":
			if c.Kind != layers.KindContext || !c.Uncited || c.ContextOf != "bases" {
				t.Errorf("context collection = %+v", c)
			}
		case "bases":
			if c.Uncited || c.ContextOf != "" {
				t.Errorf("cited collection = %+v", c)
			}
		}
	}
	// The context layer comes right after the layer it belongs to.
	if got := strings.Join(order, ","); got != "bases,bases-context,zones" {
		t.Errorf("collections in order %s", got)
	}
	_, b = do(t, s, "GET", "/collections?f=html")
	if !strings.Contains(string(b), "context for bases, uncited") {
		t.Errorf("collections page does not flag the context layer:\n%s", b)
	}
	_, b = do(t, s, "GET", "/collections/bases-context?f=html")
	if !strings.Contains(string(b), "Context for <a href=\"/collections/bases?f=html\">bases</a>, uncited") {
		t.Errorf("collection page does not flag the context layer:\n%s", b)
	}
}

// The source reader marks a feature a passage backs only by inference, after
// those it backs explicitly.
func TestSourceReaderMarksInferred(t *testing.T) {
	s := newBasisServer(t)
	_, b := do(t, s, "GET", "/sources/s004?f=html")
	html := string(b)
	// p004-01 backs Gyumri explicitly and Erebuni by inference.
	i, j := strings.Index(html, `href="/#feature=bases/gyumri-102nd-base">`), strings.Index(html, `href="/#feature=bases-context/erebuni" class="inferred" title="Inferred: Russian personnel in Armenia, the air base not named">Erebuni</a> <span class="inferred-mark">(inferred)</span>`)
	if i < 0 || j < 0 || j < i {
		t.Errorf("reader does not list Gyumri then Erebuni marked inferred:\n%s", html)
	}
	// p004-02 backs Gyumri both ways: not marked inferred.
	if strings.Contains(html, `bases/gyumri-102nd-base" class="inferred"`) {
		t.Error("Gyumri, backed explicitly too, is marked inferred")
	}
}
