package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The official OGC API Features Part 1 schemas (YAML, with relative $refs),
// kept in testdata/ogc as they were published.
const schemaDir = "testdata/ogc/core/openapi/schemas"

type yamlLoader struct{}

func (yamlLoader) Load(u string) (any, error) {
	p, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p.Path)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	jb, err := json.Marshal(nullTypes(v))
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(jb))
}

// nullTypes turns YAML's bare `type: null` (a YAML null) into the JSON
// Schema type name "null" the schema authors meant.
func nullTypes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "type" {
				switch t := x.(type) {
				case nil:
					v[k] = "null"
					continue
				case []any:
					for i := range t {
						if t[i] == nil {
							t[i] = "null"
						}
					}
					continue
				}
			}
			v[k] = nullTypes(x)
		}
	case []any:
		for i := range v {
			v[i] = nullTypes(v[i])
		}
	}
	return v
}

func ogcSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(schemaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(yamlLoader{})
	c.DefaultDraft(jsonschema.Draft2020)
	s, err := c.Compile("file://" + abs)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func validate(t *testing.T, schema string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if err := ogcSchema(t, schema).Validate(v); err != nil {
		t.Errorf("body does not validate against %s:\n%v\nbody: %.400s", schema, err, body)
	}
}

// The schemas bite: a body missing what they require fails.
func TestSchemasRejectBadBodies(t *testing.T) {
	for schema, body := range map[string]string{
		"landingPage.yaml":              `{"title":"x"}`,
		"featureCollectionGeoJSON.yaml": `{"type":"FeatureCollection"}`,
		"collections.yaml":              `{"collections":[]}`,
		"confClasses.yaml":              `{"conformsTo":"core"}`,
		"link.yaml":                     `{"rel":"self"}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if err := ogcSchema(t, schema).Validate(v); err == nil {
			t.Errorf("%s accepted %s", schema, body)
		}
	}
}

func TestConformanceBodies(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		target, schema, contentType string
	}{
		{"/", "landingPage.yaml", mimeJSON},
		{"/?f=json", "landingPage.yaml", mimeJSON},
		{"/conformance", "confClasses.yaml", mimeJSON},
		{"/collections", "collections.yaml", mimeJSON},
		{"/collections/bases", "collection.yaml", mimeJSON},
		{"/collections/bases/items", "featureCollectionGeoJSON.yaml", mimeGeoJSON},
		{"/collections/bases/items?limit=1&offset=0&bbox=43,40,45,41&datetime=2025-07-05", "featureCollectionGeoJSON.yaml", mimeGeoJSON},
		{"/collections/zones/items?properties=name", "featureCollectionGeoJSON.yaml", mimeGeoJSON},
		{"/collections/bases/items/gyumri-102nd-base", "featureGeoJSON.yaml", mimeGeoJSON},
		{"/layers/bases.geojson", "featureCollectionGeoJSON.yaml", mimeGeoJSON},
		{"/nope", "exception.yaml", "application/problem+json"},
		{"/collections/bases/items?bbox=1,2,3", "exception.yaml", "application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, b := do(t, s, "GET", tt.target)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("content type %q, want %q", ct, tt.contentType)
			}
			validate(t, tt.schema, b)
		})
	}
}

func TestLandingAndAPI(t *testing.T) {
	s := newServer(t)
	_, b := do(t, s, "GET", "/", "Accept", "application/json")
	var landing struct{ Links []link }
	if err := json.Unmarshal(b, &landing); err != nil {
		t.Fatal(err)
	}
	rels := map[string]link{}
	for _, l := range landing.Links {
		if !strings.HasPrefix(l.Href, "http://example.com/") || l.Type == "" {
			t.Errorf("link %+v is not absolute and typed", l)
		}
		rels[l.Rel] = l
	}
	for rel, href := range map[string]string{"self": "/?f=json", "service-desc": "/api", "conformance": "/conformance", "data": "/collections"} {
		if !strings.HasSuffix(rels[rel].Href, href) {
			t.Errorf("rel %s = %q, want …%s", rel, rels[rel].Href, href)
		}
	}

	res, b := do(t, s, "GET", "/api")
	if ct := res.Header.Get("Content-Type"); ct != mimeOpenAPI {
		t.Errorf("api content type %q", ct)
	}
	var api struct {
		OpenAPI    string
		Paths      map[string]any
		Components struct {
			Parameters map[string]struct {
				In      string
				Style   string
				Explode *bool
				Schema  struct{ Minimum, Maximum, Default int }
			}
		}
	}
	if err := json.Unmarshal(b, &api); err != nil {
		t.Fatal(err)
	}
	lim := api.Components.Parameters["limit"]
	if !strings.HasPrefix(api.OpenAPI, "3.0") || lim.In != "query" || lim.Style != "form" || lim.Explode == nil || *lim.Explode ||
		lim.Schema.Minimum != 1 || lim.Schema.Maximum < 10000 || lim.Schema.Default != limitDefault {
		t.Errorf("limit parameter = %+v (openapi %s)", lim, api.OpenAPI)
	}
	if _, ok := api.Paths["/collections/{collectionId}/items"]; !ok || len(api.Paths) > 10 {
		t.Errorf("paths = %v: want one small templated set", api.Paths)
	}
}

func TestItemsErrors(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		query, detail string
		status        int
	}{
		{"bbox=1,2,3", "bbox needs 4 numbers", 400},
		{"bbox=1,2,3,4,5", "bbox needs 4 numbers", 400},
		{"bbox=a,2,3,4", "not a finite number", 400},
		{"bbox=0,50,10,40", "minLat 50 is greater than maxLat 40", 400},
		{"bbox-crs=EPSG:3857&bbox=0,0,1,1", "bbox-crs", 400},
		{"datetime=yesterday", "datetime must be", 400},
		{"datetime=2025-07-10/2025-01-01", "ends before it starts", 400},
		{"datetime=", "datetime must be", 400},
		{"limit=0", "at least 1", 400},
		{"limit=-1", "at least 1", 400},
		{"limit=ten", "limit=ten must be a whole number", 400},
		{"offset=-5", "offset=-5", 400},
		{"properties=name,nope", `"nope" is not a property`, 400},
		{"frobnicate=1", `unknown query parameter "frobnicate"`, 400},
		{"f=xml", "f=xml", 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, b := do(t, s, "GET", "/collections/bases/items?"+tt.query)
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			if d := decode(t, b)["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q, want %q", d, tt.detail)
			}
		})
	}
	for _, target := range []string{"/collections/nope/items", "/collections/bases/items/nope", "/collections/nope/queryables"} {
		if res, _ := do(t, s, "GET", target); res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", target, res.StatusCode)
		}
	}
}

func items(t *testing.T, s *Server, query string) (matched, returned int, ids []string, links []link) {
	t.Helper()
	res, b := do(t, s, "GET", "/collections/bases/items?"+query)
	if res.StatusCode != 200 {
		t.Fatalf("%s: status %d %s", query, res.StatusCode, b)
	}
	var fc struct {
		NumberMatched, NumberReturned int
		Features                      []struct {
			ID         string
			Properties map[string]any
		}
		Links []link
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	return fc.NumberMatched, fc.NumberReturned, ids, fc.Links
}

func TestItemsQueries(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		query   string
		matched int
	}{
		{"", 1},
		{"bbox=43,40,45,41", 1},
		{"bbox=0,0,1,1", 0},
		{"bbox=43,40,0,45,41,100", 1}, // six numbers: heights ignored
		{"bbox=-200,-100,200,100", 1}, // clamped to the world
		{"bbox=170,40,44,41", 1},      // across the antimeridian
		{"datetime=2025-07-05", 1},    // open-ended feature
		{"datetime=../2025-01-01", 1}, //
		{"datetime=0000-01-01T00:00:00Z/9999-12-31T00:00:00Z", 1}, // QGIS's sentinels
		{"status=active", 1},
		{"status=closed", 0},
		{"geo_precision=town&status=active", 1},
		{"limit=100000", 1}, // over the maximum is lowered
		{"offset=5", 1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			matched, returned, _, _ := items(t, s, tt.query)
			if matched != tt.matched {
				t.Errorf("numberMatched %d, want %d", matched, tt.matched)
			}
			if strings.HasPrefix(tt.query, "offset=5") && returned != 0 {
				t.Errorf("offset past the end returned %d", returned)
			}
		})
	}
	_, b := do(t, s, "GET", "/collections/bases/items?properties=name")
	props := decode(t, b)["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	if len(props) != 1 || props["name"] == nil {
		t.Errorf("properties=name gave %v", props)
	}
	// A polygon whose box overlaps the query but whose shape does not is
	// left out: the square covers 43..44, 40..41.
	res, b := do(t, s, "GET", "/collections/zones/items?bbox=44.5,41.5,45,42")
	if res.StatusCode != 200 || decode(t, b)["numberMatched"] != 0.0 {
		t.Errorf("bbox outside the square matched: %s", b)
	}
}

func TestItemsPagingKeepsParameters(t *testing.T) {
	s := newServer(t)
	_, _, _, links := items(t, s, "limit=1&offset=0&status=active&bbox=40,39,47,44")
	var self link
	for _, l := range links {
		if l.Rel == "self" {
			self = l
		}
		if !strings.HasPrefix(l.Href, "http://example.com/") || l.Type == "" {
			t.Errorf("link %+v not absolute and typed", l)
		}
	}
	for _, p := range []string{"limit=1", "status=active", "bbox=40%2C39%2C47%2C44"} {
		if !strings.Contains(self.Href, p) {
			t.Errorf("self link %q lost %s", self.Href, p)
		}
	}
}

func TestItemsETag(t *testing.T) {
	s := newServer(t)
	res, _ := do(t, s, "GET", "/collections/bases/items?limit=5")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on items")
	}
	if res, _ := do(t, s, "GET", "/collections/bases/items?limit=5", "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	if res, _ := do(t, s, "GET", "/collections/bases/items?limit=6", "If-None-Match", etag); res.StatusCode != 200 {
		t.Errorf("another query answered %d to the same ETag", res.StatusCode)
	}
}

func TestQueryables(t *testing.T) {
	s := newServer(t)
	res, b := do(t, s, "GET", "/collections/bases/queryables")
	if res.Header.Get("Content-Type") != mimeSchema {
		t.Errorf("content type %q", res.Header.Get("Content-Type"))
	}
	q := decode(t, b)
	props := q["properties"].(map[string]any)
	if props["name"].(map[string]any)["type"] != "string" || props["source_count"].(map[string]any)["type"] != "number" {
		t.Errorf("queryables = %s", b)
	}
}
