package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/query"
)

const (
	crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	trs   = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
)

type link = layers.Link

type collection struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ItemType    string `json:"itemType"`
	// GeometryType is the one GeoJSON geometry type of the features (the
	// Multi- form when single and Multi- forms mix), and GeometryDimension
	// its JSON-FG dimension: a client can type the layer before reading it.
	GeometryType      string   `json:"geometry_type,omitempty"`
	GeometryDimension *int     `json:"geometryDimension,omitempty"`
	CRS               []string `json:"crs"`
	Extent            extent   `json:"extent"`
	ItemCount         int      `json:"itemCount"`
	Kind              string   `json:"kind"`
	// Uncited: the features need not cite a passage (a layer imported
	// without evidence, or a context layer); shown as such.
	Uncited bool `json:"uncited,omitempty"`
	// ContextOf names the cited layer a context layer belongs to: features
	// whose support is only inferred, drawn muted.
	ContextOf string `json:"context_of,omitempty"`
	// Tiled: the web map draws the layer from its vector tiles rather than
	// download it whole (drawnFromTiles).
	Tiled       bool   `json:"tiled,omitempty"`
	Licence     string `json:"license,omitempty"`
	Attribution string `json:"attribution,omitempty"`
	Links       []link `json:"links"`
}

type extent struct {
	Spatial struct {
		BBox [][4]float64 `json:"bbox"`
		CRS  string       `json:"crs"`
	} `json:"spatial"`
	Temporal struct {
		Interval [][2]*string `json:"interval"`
		TRS      string       `json:"trs"`
	} `json:"temporal"`
}

// kindOrder lists collections the way a reader meets them on the map.
var kindOrder = map[string]int{
	layers.KindBorders: 0, layers.KindDisputed: 1, layers.KindBases: 2,
	layers.KindCorridors: 3, layers.KindEvents: 4,
}

// collectionLayers returns the layers published as collections, in order:
// by kind, then id, a context layer right after the layer it belongs to.
// The basemap is reference geography drawn under the map, not a collection.
func collectionLayers(all []layers.Layer) []layers.Layer {
	var out []layers.Layer
	byID := map[string]layers.Layer{}
	for _, l := range all {
		if l.Kind != layers.KindBasemap {
			out = append(out, l)
			byID[l.ID] = l
		}
	}
	type key struct {
		rank    int
		id      string
		context bool
	}
	keyOf := func(l layers.Layer) key {
		k := key{id: l.ID}
		if p, ok := byID[l.ContextOf]; ok && l.Kind == layers.KindContext {
			l, k = p, key{id: p.ID, context: true}
		}
		r, ok := kindOrder[l.Kind]
		if !ok {
			r = len(kindOrder)
		}
		k.rank = r
		return k
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := keyOf(out[i]), keyOf(out[j])
		switch {
		case a.rank != b.rank:
			return a.rank < b.rank
		case a.id != b.id:
			return a.id < b.id
		case a.context != b.context:
			return !a.context
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *Server) collection(base string, l layers.Layer, types geo.TypeSet) collection {
	col := collection{
		ID: l.ID, Title: l.Title, Description: l.Description, ItemType: "feature",
		CRS: []string{crs84}, ItemCount: l.Count, Kind: l.Kind, Uncited: !l.Cited(), ContextOf: l.ContextOf,
		Licence: l.Licence, Attribution: l.Attribution,
	}
	col.GeometryType = types.Type()
	if d := geo.Dimension(types.Class()); d >= 0 {
		col.GeometryDimension = &d
	}
	b := l.Bound
	col.Extent.Spatial.BBox = [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}
	col.Extent.Spatial.CRS = crs84
	col.Extent.Temporal.Interval = [][2]*string{{instant(l.Temporal[0], false), instant(l.Temporal[1], true)}}
	col.Extent.Temporal.TRS = trs
	self := base + "/collections/" + l.ID
	col.Links = []link{
		{Href: self, Rel: "self", Type: mimeJSON, Title: "This collection"},
		{Href: self + "?f=html", Rel: "alternate", Type: mimeHTML, Title: "This collection as HTML"},
		{Href: self + "/items", Rel: "items", Type: mimeGeoJSON, Title: "Features"},
		{Href: self + "/items?f=html", Rel: "items", Type: mimeHTML, Title: "Features as HTML"},
		{Href: self + "/queryables", Rel: relQueryables, Type: mimeSchema, Title: "Queryable properties"},
		{Href: base + "/layers/" + l.ID + ".geojson", Rel: "enclosure", Type: mimeGeoJSON, Title: "The whole layer as GeoJSON"},
		{Href: base + "/layers/" + l.ID + ".gpkg", Rel: "enclosure", Type: mimeGPKG, Title: "The whole layer as GeoPackage"},
		{Href: base + "/layers/" + l.ID + ".csv", Rel: "enclosure", Type: mimeCSV, Title: "The whole layer as CSV (WKT geometry)"},
	}
	if l.ContextOf != "" {
		col.Links = append(col.Links, link{Href: base + "/collections/" + l.ContextOf, Rel: "related", Type: mimeJSON,
			Title: "The cited layer these features are context for"})
	}
	return col
}

// instant turns a partial date into an RFC 3339 timestamp: the start of the
// span, or its last second for an end. "" (open) stays null.
func instant(date string, end bool) *string {
	if date == "" {
		return nil
	}
	from, to, err := geo.DateSpan(date)
	if err != nil {
		return nil
	}
	t := from
	if end {
		t = to.Add(-time.Second)
	}
	v := t.UTC().Format(time.RFC3339)
	return &v
}

func (s *Server) handleCollections(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	all, err := r.Layers(c.UserContext())
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	version, err := r.Version(c.UserContext())
	if err != nil {
		return err
	}
	out := struct {
		Links       []link       `json:"links"`
		Collections []collection `json:"collections"`
		DataVersion int          `json:"data_version"` // what v= pins
	}{
		DataVersion: version,
		Links:       []link{{Href: base + "/collections", Rel: "self", Type: mimeJSON, Title: "Collections"}},
	}
	out.Collections = []collection{}
	for _, l := range collectionLayers(all) {
		types, _, err := s.layerFacts(c.UserContext(), r, l.ID)
		if err != nil {
			return err
		}
		col := s.collection(base, l, types)
		if col.Tiled, err = s.drawnFromTiles(c.UserContext(), r, l); err != nil {
			return err
		}
		out.Collections = append(out.Collections, col)
	}
	if f == formatHTML {
		return s.renderHTML(c, "collections", htmlPage{Title: "Collections", Data: out.Collections})
	}
	out.Links = append(out.Links, link{Href: base + "/collections?f=html", Rel: "alternate", Type: mimeHTML, Title: "Collections as HTML"})
	return c.JSON(out)
}

func (s *Server) handleCollection(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	r, l, err := s.collectionOf(c, c.Params("layer"))
	if err != nil {
		return err
	}
	types, _, err := s.layerFacts(c.UserContext(), r, l.ID)
	if err != nil {
		return err
	}
	col := s.collection(s.baseURL(c), l, types)
	if col.Tiled, err = s.drawnFromTiles(c.UserContext(), r, l); err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "collection", htmlPage{Title: l.Title, Data: col})
	}
	return c.JSON(col)
}

func (s *Server) handleItem(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	if f == formatJSON {
		// An editor or reviewer sees the draft, never cached for others.
		if done, err := s.draftItem(c); done || err != nil {
			return err
		}
	}
	r, l, err := s.collectionOf(c, c.Params("layer"))
	if err != nil {
		return err
	}
	id := c.Params("feature")
	base := s.baseURL(c)
	if f == formatHTML {
		it, err := s.item(c.UserContext(), r, l.ID, id)
		if err != nil {
			return err
		}
		ev, err := s.evidence(c.UserContext(), r, base, it.feature)
		if err != nil {
			return err
		}
		var flat map[string]any
		if err := json.Unmarshal(it.body.Properties, &flat); err != nil {
			return fmt.Errorf("decode properties of %s/%s: %w", l.ID, id, err)
		}
		pf := pageFeatureOf(l.ID, id, flat)
		pf.Evidence = ev
		return s.renderHTML(c, "item", htmlPage{Title: pf.Name, Data: pf})
	}
	// An item's body depends on the layer's revision and the address links
	// start with: kept once built.
	key := l.ID + "@" + l.Revision + "/" + id + "|" + base
	b, err := s.items.getOr(c.UserContext(), key, func(ctx context.Context) (*body, error) {
		// The build runs on its own goroutine: it must not touch c.
		it, err := s.item(ctx, r, l.ID, id)
		if err != nil {
			return nil, err
		}
		ev, err := s.evidence(ctx, r, base, it.feature)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := query.WriteFeature(&buf, l.ID, it.body, nil, base); err != nil {
			return nil, err
		}
		// The claims with their quotes ride along as a foreign member: GIS
		// clients skip it, the map's feature panel reads it.
		eb, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out := append(buf.Bytes()[:buf.Len()-1], `,"evidence":`...)
		out = append(append(out, eb...), '}')
		// The ETag starts with the stored feature's content tag: strong, and
		// what If-Match on a write compares with. The quotes shown ride
		// along in the tag after a dot: a changed quote changes the ETag,
		// and If-Match compares the part before.
		evTag := sha256.Sum256(eb)
		return compressedLevel(out, it.feature.Tag()+"."+hex.EncodeToString(evTag[:6]), gzip.DefaultCompression)
	})
	if err != nil {
		return err
	}
	return sendBody(c, b, mimeGeoJSON)
}

// storedItem is one feature as stored (with its claims) and as served.
type storedItem struct {
	feature layers.Feature
	body    layers.Body // its own copy
}

// item reads feature id of layer: its body from the store's index when it
// keeps one (nothing else of the layer is read), else from a snapshot.
func (s *Server) item(ctx context.Context, r layers.Reader, layer, id string) (storedItem, error) {
	var it storedItem
	missing := layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
	if ix, ok := r.(layers.Indexed); ok {
		found := false
		err := ix.ReadIndex(ctx, layer, func(li layers.LayerIndex) error {
			b, ok, err := li.Body(id)
			if err != nil || !ok {
				return err
			}
			found = true
			it.body = layers.Body{ID: b.ID, Bound: b.Bound, From: b.From, To: b.To,
				Geometry: bytes.Clone(b.Geometry), Properties: bytes.Clone(b.Properties), Passages: b.Passages}
			return nil
		})
		if err != nil {
			return it, err
		}
		if !found {
			return it, missing
		}
		it.feature, err = r.Feature(ctx, layer, id)
		return it, err
	}
	sn, err := s.snapshotOf(ctx, r, layer)
	if err != nil {
		return it, err
	}
	i := sn.Index(id)
	if i < 0 {
		return it, missing
	}
	it.body = layers.Body{ID: id, Geometry: sn.Geometry[i], Properties: sn.Props[i], Passages: passagesOf(sn.Features[i])}
	it.feature, err = r.Feature(ctx, layer, id)
	return it, err
}
