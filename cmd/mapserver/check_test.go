package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each rule of issue 11 on a copy of the bundled data broken one way: check
// (and import, for the rules an import enforces) fails naming the file, the
// feature and the claim's passage.
func TestCheckNamesEachBrokenRule(t *testing.T) {
	if out, stderr, code := run(t, "check", "../../data"); code != 0 {
		t.Fatalf("the bundled data fails check:\n%s%s", out, stderr)
	}
	// claimsOf returns the first bases feature with an explicit supporting
	// claim: its properties, its claims and the index of that claim.
	type target struct {
		id     string
		props  map[string]any
		claims []any
		i      int
	}
	first := func(fc map[string]any) target {
		for _, f := range fc["features"].([]any) {
			f := f.(map[string]any)
			props := f["properties"].(map[string]any)
			claims, _ := props["claims"].([]any)
			for i, c := range claims {
				c := c.(map[string]any)
				if c["relation"] == "supports" && c["basis"] == "explicit" {
					return target{f["id"].(string), props, claims, i}
				}
			}
		}
		t.Fatal("no bases feature with an explicit supporting claim")
		return target{}
	}
	claim := func(tg target) map[string]any { return tg.claims[tg.i].(map[string]any) }
	tests := []struct {
		name    string
		break_  func(tg target)
		want    func(tg target) []string
		import_ bool // import refuses it too
	}{
		{"claim without basis", func(tg target) { delete(claim(tg), "basis") },
			func(tg target) []string {
				return []string{"claim on passage " + claim(tg)["passage"].(string), "no basis"}
			}, true},
		{"basis outside the two values", func(tg target) { claim(tg)["basis"] = "direct" },
			func(tg target) []string {
				return []string{"claim on passage " + claim(tg)["passage"].(string), `basis "direct" is not explicit or inferred`}
			}, true},
		{"inferred claim without a note", func(tg target) { claim(tg)["basis"], claim(tg)["note"] = "inferred", "" },
			func(tg target) []string {
				return []string{"claim on passage " + claim(tg)["passage"].(string), "inferred, but its note does not say how"}
			}, true},
		{"only inferred support", func(tg target) {
			for _, c := range tg.claims {
				c := c.(map[string]any)
				if c["relation"] == "supports" {
					c["basis"], c["note"] = "inferred", "broken on purpose"
				}
			}
		}, func(tg target) []string {
			return []string{claim(tg)["passage"].(string) + " (inferred)", "has no explicit supporting claim"}
		}, true},
		{"vertex outside its country", func(tg target) { tg.props["country"] = "Kazakhstan" },
			func(tg target) []string { return []string{"outside Kazakhstan on the basemap (tolerance 500 m)"} }, false},
		{"country not in the basemap", func(tg target) { tg.props["country"] = "Atlantis" },
			func(tg target) []string { return []string{`country "Atlantis" is not the name of a basemap country`} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := copyDir(t, "../../data")
			var tg target
			editJSON(t, filepath.Join(broken, "layers", "bases.geojson"), func(fc map[string]any) {
				tg = first(fc)
				tt.break_(tg)
			})
			want := append([]string{"layers/bases.geojson", "bases/" + tg.id}, tt.want(tg)...)
			out, _, code := run(t, "check", broken)
			if code == 0 {
				t.Fatalf("check passed:\n%s", out)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("check output does not contain %q:\n%s", w, out)
				}
			}
			if !tt.import_ {
				return
			}
			db := filepath.Join(t.TempDir(), "map.db")
			_, stderr, code := run(t, "import", broken, "--db", db)
			if code == 0 {
				t.Fatal("import succeeded")
			}
			for _, w := range want {
				if !strings.Contains(stderr, w) {
					t.Errorf("import error does not contain %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// A context layer must name an existing cited layer.
func TestCheckContextLayer(t *testing.T) {
	tests := []struct {
		name, layer, want string
	}{
		{"no context_of", `{"id":"bases-context","kind":"context","title":"Bases (context)"}`, "a context layer must name the cited layer it belongs to in context_of"},
		{"names no layer", `{"id":"bases-context","kind":"context","context_of":"garrisons","title":"Bases (context)"}`, `context_of "garrisons" names no layer of the dataset`},
		{"names the basemap", `{"id":"bases-context","kind":"context","context_of":"basemap","title":"Bases (context)"}`, `context_of "basemap" names a layer of kind basemap`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := copyDir(t, "../../data")
			file := filepath.Join(broken, "layers", "zz-bases-context.geojson")
			body := `{"type":"FeatureCollection","layer":` + tt.layer + `,"features":[{"type":"Feature","id":"somewhere","geometry":{"type":"Point","coordinates":[44.5,40.2]},"properties":{"name":"Somewhere","claims":[]}}]}`
			writeFile(t, file, body)
			out, _, code := run(t, "check", broken)
			if code == 0 || !strings.Contains(out, "layers/zz-bases-context.geojson: layer bases-context: "+tt.want) {
				t.Errorf("check: exit %d, want a problem %q:\n%s", code, tt.want, out)
			}
		})
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
