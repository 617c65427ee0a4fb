package layers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/paulmach/orb/geojson"
)

// DecodeFeature reads one GeoJSON Feature of layer, its claims taken from
// properties.claims as in data/. Errors name what is wrong, malformed JSON
// with its line and column.
func DecodeFeature(layer string, raw []byte) (Feature, error) {
	f, err := decodeFeature(layer, raw)
	if err != nil {
		return f, Errorf(EUNPROCESSABLE, "%v", err)
	}
	return f, nil
}

// JSONProblem describes a JSON decoding error with its line and column in b.
func JSONProblem(b []byte, err error) string { return jsonProblem(b, err) }

// claimJSON is a claim as it travels inside its feature's properties.
type claimJSON struct {
	Passage    string `json:"passage"`
	Aspect     string `json:"aspect"`
	Relation   string `json:"relation"`
	Basis      string `json:"basis,omitempty"`
	Confidence string `json:"confidence,omitempty"`
	Note       string `json:"note,omitempty"`
}

// GeoJSON returns f as a GeoJSON Feature with its claims in
// properties.claims, the form DecodeFeature reads.
func (f Feature) GeoJSON() *geojson.Feature {
	props := make(geojson.Properties, len(f.Properties)+1)
	for k, v := range f.Properties {
		props[k] = v
	}
	claims := make([]claimJSON, len(f.Claims))
	for i, c := range f.Claims {
		claims[i] = claimJSON{c.Passage, c.Aspect, c.Relation, c.Basis, c.Confidence, c.Note}
	}
	props["claims"] = claims
	return &geojson.Feature{ID: f.ID, Type: "Feature", Geometry: f.Geometry, Properties: props}
}

// MarshalGeoJSON encodes f as GeoJSON (see GeoJSON).
func (f Feature) MarshalGeoJSON() ([]byte, error) {
	b, err := f.GeoJSON().MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode feature %s/%s: %w", f.Layer, f.ID, err)
	}
	return b, nil
}

// Tag is a strong validator of f's content: geometry, properties and
// claims. It changes exactly when one of them does.
func (f Feature) Tag() string {
	b, err := f.MarshalGeoJSON()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// NotFlat names the properties whose values are not a string, number,
// boolean or null: a GIS table shows each property as a column.
func NotFlat(props map[string]any) []string {
	var bad []string
	for k, v := range props {
		switch v.(type) {
		case string, float64, bool, nil, int, int64, json.Number:
		default:
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

// MarshalJSON writes an edit with its features as GeoJSON.
func (e Edit) MarshalJSON() ([]byte, error) {
	type wire struct {
		Layer  string          `json:"layer"`
		ID     string          `json:"id"`
		Op     string          `json:"op"`
		Before json.RawMessage `json:"before,omitempty"`
		After  json.RawMessage `json:"after,omitempty"`
	}
	w := wire{Layer: e.Layer, ID: e.ID, Op: e.Op}
	var err error
	if e.Before != nil {
		if w.Before, err = e.Before.MarshalGeoJSON(); err != nil {
			return nil, err
		}
	}
	if e.After != nil {
		if w.After, err = e.After.MarshalGeoJSON(); err != nil {
			return nil, err
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Edit) UnmarshalJSON(b []byte) error {
	var w struct {
		Layer  string          `json:"layer"`
		ID     string          `json:"id"`
		Op     string          `json:"op"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Edit{Layer: w.Layer, ID: w.ID, Op: w.Op}
	for _, p := range []struct {
		raw json.RawMessage
		dst **Feature
	}{{w.Before, &e.Before}, {w.After, &e.After}} {
		if len(p.raw) == 0 || string(p.raw) == "null" {
			continue
		}
		f, err := decodeFeature(w.Layer, p.raw)
		if err != nil {
			return fmt.Errorf("edit of %s/%s: %w", w.Layer, w.ID, err)
		}
		*p.dst = &f
	}
	return nil
}
