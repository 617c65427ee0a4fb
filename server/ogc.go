package server

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/query"
)

// Paging limits advertised in the OpenAPI document; QGIS reads them to size
// its pages.
const (
	limitDefault = 100
	limitMax     = 10000
)

const (
	mimeJSON      = "application/json"
	mimeGeoJSON   = "application/geo+json"
	mimeHTML      = "text/html"
	mimeOpenAPI   = "application/vnd.oai.openapi+json;version=3.0"
	mimeSchema    = "application/schema+json"
	relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
)

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
}

// conformancePart4 lists the classes of OGC API Features Part 4
// (1.0.0-draft.1) the write API implements.
var conformancePart4 = []string{
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
}

// conformsTo is every class this server implements.
func (s *Server) conformsTo() []string {
	if s.cfg.Editor == nil {
		return conformance
	}
	return append(append([]string{}, conformance...), conformancePart4...)
}

func (s *Server) landing(base string) fiber.Map {
	return fiber.Map{
		"title":       "citemap",
		"description": "Map layers of the South Caucasus and Central Asia, every feature cited to the source passages behind it.",
		"links": []link{
			{Href: base + "/?f=json", Rel: "self", Type: mimeJSON, Title: "This document"},
			{Href: base + "/?f=html", Rel: "alternate", Type: mimeHTML, Title: "This document as HTML"},
			{Href: base + "/api", Rel: "service-desc", Type: mimeOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
			{Href: base + "/conformance", Rel: "conformance", Type: mimeJSON, Title: "Conformance classes"},
			{Href: base + "/collections", Rel: "data", Type: mimeJSON, Title: "Collections"},
			{Href: base + "/sources?f=json", Rel: "related", Type: mimeJSON, Title: "Sources: the articles the features cite"},
			{Href: base + "/annotations", Rel: "related", Type: "application/ld+json", Title: "Evidence as W3C Web Annotations"},
			{Href: base + "/passages.csv", Rel: "related", Type: "text/csv", Title: "Evidence as a join table (feature, passage, source)"},
		},
	}
}

func (s *Server) handleConformance(c *fiber.Ctx) error {
	f, err := formatOf(c, "f")
	if err != nil {
		return err
	}
	if f == formatHTML {
		return s.renderHTML(c, "conformance", htmlPage{Title: "Conformance", Data: s.conformsTo()})
	}
	return c.JSON(fiber.Map{"conformsTo": s.conformsTo()})
}

// handleAPI serves the OpenAPI 3.0 document: one templated items path,
// small enough that QGIS reads it at once.
func (s *Server) handleAPI(c *fiber.Ctx) error {
	if err := allowParams(c, "f"); err != nil {
		return err
	}
	if f := c.Query("f"); f != "" && f != "json" {
		return badRequest("the API definition is served as JSON only (f=json)")
	}
	base := s.baseURL(c)
	ref := func(name string) fiber.Map { return fiber.Map{"$ref": "#/components/parameters/" + name} }
	jsonResp := func(desc, mime string) fiber.Map {
		return fiber.Map{"description": desc, "content": fiber.Map{mime: fiber.Map{"schema": fiber.Map{"type": "object"}}}}
	}
	problem := fiber.Map{"description": "A problem (RFC 9457)", "content": fiber.Map{"application/problem+json": fiber.Map{"schema": fiber.Map{"type": "object"}}}}
	get := func(id, summary string, params []any, ok fiber.Map) fiber.Map {
		return fiber.Map{"get": fiber.Map{
			"operationId": id, "summary": summary, "parameters": params,
			"responses": fiber.Map{"200": ok, "400": problem, "404": problem},
		}}
	}
	strParam := func(name, desc string) fiber.Map {
		return fiber.Map{"name": name, "in": "query", "required": false, "description": desc,
			"schema": fiber.Map{"type": "string"}, "style": "form", "explode": false}
	}
	doc := fiber.Map{
		"openapi": "3.0.3",
		"info": fiber.Map{
			"title":       "citemap",
			"version":     "1.0.0",
			"description": "OGC API Features for map layers whose every feature cites the source passages behind it.",
			"license":     fiber.Map{"name": "Data: Natural Earth (public domain), GeoNames (CC BY 4.0)"},
		},
		"servers": []fiber.Map{{"url": base}},
		"paths": fiber.Map{
			"/":            get("getLandingPage", "Landing page", []any{ref("f")}, jsonResp("The landing page", mimeJSON)),
			"/conformance": get("getConformance", "Conformance classes", []any{ref("f")}, jsonResp("The conformance classes", mimeJSON)),
			"/api":         get("getAPI", "This document", nil, jsonResp("The API definition", mimeOpenAPI)),
			"/collections": get("getCollections", "The collections", []any{ref("f")}, jsonResp("The collections", mimeJSON)),
			"/collections/{collectionId}": get("describeCollection", "One collection",
				[]any{ref("collectionId"), ref("f")}, jsonResp("The collection", mimeJSON)),
			"/collections/{collectionId}/items": get("getFeatures", "Features of a collection",
				[]any{ref("collectionId"), ref("limit"), ref("offset"), ref("bbox"), ref("bbox-crs"), ref("datetime"), ref("properties"), ref("f"),
					strParam("name", "features whose name equals this value"),
					strParam("status", "features whose status equals this value"),
					strParam("country", "features in this country (name as in the borders layer)"),
					strParam("geo_precision", "exact, town or region")},
				jsonResp("A page of features", mimeGeoJSON)),
			"/collections/{collectionId}/items/{featureId}": get("getFeature", "One feature",
				[]any{ref("collectionId"), ref("featureId"), ref("f")}, jsonResp("The feature", mimeGeoJSON)),
			"/collections/{collectionId}/queryables": get("getQueryables", "The properties features can be filtered by",
				[]any{ref("collectionId"), ref("f")}, jsonResp("A JSON Schema", mimeSchema)),
		},
		"components": fiber.Map{"parameters": fiber.Map{
			"collectionId": fiber.Map{"name": "collectionId", "in": "path", "required": true, "schema": fiber.Map{"type": "string"}},
			"featureId":    fiber.Map{"name": "featureId", "in": "path", "required": true, "schema": fiber.Map{"type": "string"}},
			"limit": fiber.Map{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
				"description": "Features per page; values above the maximum are lowered to it.",
				"schema":      fiber.Map{"type": "integer", "minimum": 1, "maximum": limitMax, "default": limitDefault}},
			"offset": fiber.Map{"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
				"schema": fiber.Map{"type": "integer", "minimum": 0, "default": 0}},
			"bbox": fiber.Map{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
				"schema": fiber.Map{"type": "array", "minItems": 4, "maxItems": 6, "items": fiber.Map{"type": "number"}}},
			"bbox-crs": fiber.Map{"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
				"schema": fiber.Map{"type": "string", "enum": []string{crs84}}},
			"datetime": fiber.Map{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
				"description": "An instant or an interval (a/b, open ends as .. or empty); compared with valid_from/valid_to.",
				"schema":      fiber.Map{"type": "string"}},
			"properties": fiber.Map{"name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
				"schema": fiber.Map{"type": "array", "items": fiber.Map{"type": "string"}}},
			"f": fiber.Map{"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
				"schema": fiber.Map{"type": "string", "enum": []string{"json", "html"}}},
		}},
	}
	if s.cfg.Editor != nil {
		paths := doc["paths"].(fiber.Map)
		op := func(id, summary string, params []any, body string, codes ...string) fiber.Map {
			responses := fiber.Map{}
			for _, code := range codes {
				responses[code] = problem
			}
			responses["401"], responses["403"] = problem, problem
			o := fiber.Map{"operationId": id, "summary": summary, "parameters": params, "responses": responses,
				"security": []fiber.Map{{"bearer": []string{}}}}
			if body != "" {
				o["requestBody"] = fiber.Map{"required": true, "content": fiber.Map{body: fiber.Map{"schema": fiber.Map{"type": "object"}}}}
			}
			return o
		}
		ok := fiber.Map{"description": "Written to the caller's open changeset", "content": fiber.Map{mimeGeoJSON: fiber.Map{"schema": fiber.Map{"type": "object"}}}}
		created := fiber.Map{"description": "Created in the caller's open changeset; Location names it"}
		items := paths["/collections/{collectionId}/items"].(fiber.Map)
		items["post"] = op("createFeature", "Add a feature (a draft until published)", []any{ref("collectionId")}, mimeGeoJSON, "400", "404", "413", "415", "422")
		items["post"].(fiber.Map)["responses"].(fiber.Map)["201"] = created
		item := paths["/collections/{collectionId}/items/{featureId}"].(fiber.Map)
		ifMatch := fiber.Map{"name": "If-Match", "in": "header", "required": false, "schema": fiber.Map{"type": "string"},
			"description": "The ETag the change is based on; a stale one is 412."}
		params := []any{ref("collectionId"), ref("featureId"), ifMatch}
		item["put"] = op("replaceFeature", "Replace a feature", params, mimeGeoJSON, "400", "404", "409", "412", "413", "415", "422")
		item["patch"] = op("updateFeature", "Update a feature (JSON Merge Patch)", params, mimeMergePatch, "400", "404", "409", "412", "413", "415", "422")
		item["delete"] = op("deleteFeature", "Delete a feature", params, "", "404", "409", "412")
		for _, m := range []string{"put", "patch", "delete"} {
			item[m].(fiber.Map)["responses"].(fiber.Map)["200"] = ok
		}
		doc["components"].(fiber.Map)["securitySchemes"] = fiber.Map{"bearer": fiber.Map{"type": "http", "scheme": "bearer"}}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, mimeOpenAPI)
	return c.Send(b)
}

// Warm prepares what the first readers of the latest data version ask for,
// so they do not wait for it: the snapshots of the layers the map holds
// whole and of the basemap, and the first view's tiles. It stops early when
// ctx is done. The basemap comes first, with its tile set: placing its
// country names takes about half a second, and its tiles are the first
// thing the map asks for.
// The tiles every first visit of the map asks for are made here too (see
// warmTiles): made on that visit's requests, the twelve of the bundled
// map's default view came 0.4 s after they were asked for, on the two
// cores the browser was drawing with.
func (s *Server) Warm(ctx context.Context) error {
	all, err := s.store.Layers(ctx)
	if err != nil {
		return err
	}
	// Where the data is, around the map's first view: the basemap covers
	// the world (its 1,365 tiles up to zoom 5 took a second).
	var area orb.Bound
	for _, l := range all {
		switch {
		case l.Kind == layers.KindBasemap:
		case area.IsZero():
			area = l.Bound
		default:
			area = area.Union(l.Bound)
		}
	}
	rank := func(l layers.Layer) int {
		if l.Kind == layers.KindBasemap {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(all, func(a, b layers.Layer) int { return cmp.Compare(rank(a), rank(b)) })
	for _, l := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.Count > s.cfg.MaxWholeLayer {
			continue // served from the file only
		}
		tiled, err := s.drawnFromTiles(ctx, s.store, l)
		if err != nil {
			return err
		}
		// The map holds a small layer whole and the basemap's tiles are
		// cut from the decoded layer: their snapshots serve the first
		// visit. A layer the map draws from tiles is read from the file;
		// decoding it here (bench's 100k polygons: 1.2 s and 330 MiB at
		// start, a snapshot larger than the cache keeps) served nothing.
		if !tiled || l.Kind == layers.KindBasemap {
			if _, err := s.snapshotOf(ctx, s.store, l.ID); err != nil {
				return err
			}
		}
		if tiled {
			if err := s.warmTiles(ctx, l, area); err != nil {
				return err
			}
		}
	}
	return nil
}

// reader is what a request reads: the data version its `v` parameter pins,
// or the latest.
func (s *Server) reader(c *fiber.Ctx) (layers.Reader, error) {
	v := c.Query("v")
	if v == "" {
		return s.store, nil
	}
	n, err := intParam("v", v, 1, maxVersion)
	if err != nil {
		return nil, err
	}
	return s.at(c.UserContext(), n)
}

// at is the store's data version n, a missing one named as the v parameter.
func (s *Server) at(ctx context.Context, n int) (layers.Reader, error) {
	r, err := s.store.At(ctx, n)
	if layers.ErrorCode(err) == layers.ENOTFOUND {
		return nil, layers.Errorf(layers.ENOTFOUND, "v=%d: %s", n, layers.ErrorMessage(err))
	}
	return r, err
}

// snapshot returns a collection of the request's data version prepared for
// queries, built once per layer revision.
func (s *Server) snapshot(c *fiber.Ctx, id string) (*layers.Snapshot, error) {
	sn, err := s.anySnapshot(c, id)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == layers.KindBasemap {
		return nil, notCollection(id)
	}
	return sn, nil
}

// collectionSnapshot is snapshot without the request: layer id of r, which
// must not be the basemap.
func (s *Server) collectionSnapshot(ctx context.Context, r layers.Reader, id string) (*layers.Snapshot, error) {
	sn, err := s.snapshotOf(ctx, r, id)
	if err != nil {
		return nil, err
	}
	if sn.Layer.Kind == layers.KindBasemap {
		return nil, notCollection(id)
	}
	return sn, nil
}

// anySnapshot is snapshot for any layer, the basemap too.
func (s *Server) anySnapshot(c *fiber.Ctx, id string) (*layers.Snapshot, error) {
	r, err := s.reader(c)
	if err != nil {
		return nil, err
	}
	return s.snapshotOf(c.UserContext(), r, id)
}

// notCollection is the answer for the basemap asked for as a collection:
// it is reference geography drawn under the map, not served as data.
func notCollection(id string) error {
	return layers.Errorf(layers.ENOTFOUND, "collection %q does not exist", id)
}

// collectionOf is the request's data version and its layer id, which must
// be a collection (not the basemap).
func (s *Server) collectionOf(c *fiber.Ctx, id string) (layers.Reader, layers.Layer, error) {
	r, err := s.reader(c)
	if err != nil {
		return nil, layers.Layer{}, err
	}
	l, err := s.layerOf(c.UserContext(), r, id)
	if err != nil {
		return nil, l, err
	}
	if l.Kind == layers.KindBasemap {
		return nil, l, notCollection(l.ID)
	}
	return r, l, nil
}

// layerOf describes layer id of r from memory: a data version's layers are
// read once, not once per request.
func (s *Server) layerOf(ctx context.Context, r layers.Reader, id string) (layers.Layer, error) {
	all, err := s.layersAt(ctx, r)
	if err != nil {
		return layers.Layer{}, err
	}
	l, ok := all[id]
	if !ok {
		return l, layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", id)
	}
	return l, nil
}

// layersAt is every layer of r's data version, by id.
func (s *Server) layersAt(ctx context.Context, r layers.Reader) (map[string]layers.Layer, error) {
	v, err := r.Version(ctx)
	if err != nil {
		return nil, err
	}
	return s.layerMeta.getOr(ctx, strconv.Itoa(v), func(ctx context.Context) (map[string]layers.Layer, error) {
		ls, err := r.Layers(ctx)
		if err != nil {
			return nil, err
		}
		m := make(map[string]layers.Layer, len(ls))
		for _, l := range ls {
			m[l.ID] = l
		}
		return m, nil
	})
}

// snapshotOf returns layer id of r prepared for queries.
func (s *Server) snapshotOf(ctx context.Context, r layers.Reader, id string) (*layers.Snapshot, error) {
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return nil, err
	}
	if err := s.wholeLayer(l); err != nil {
		return nil, err
	}
	return s.snapshots.getOr(ctx, l.ID+"@"+l.Revision, func(ctx context.Context) (sn *layers.Snapshot, err error) {
		// Preparing a large layer takes every core for a while: it counts as
		// expensive work like a download or a picture.
		err = s.expensive.run(ctx, func() error {
			sn, err = layers.LoadSnapshot(ctx, r, l.ID)
			return err
		})
		return sn, err
	})
}

// itemsQuery is a parsed items request.
type itemsQuery struct {
	layers.Query
	limit, offset int
	properties    []string // nil = all
}

var itemsParams = []string{"f", "bbox", "bbox-crs", "datetime", "limit", "offset", "properties", "v"}

func parseItemsQuery(c *fiber.Ctx, layer string, queryables map[string]string) (itemsQuery, error) {
	q := itemsQuery{limit: limitDefault, Query: layers.Query{Equals: map[string]string{}}}
	names := func() string {
		ns := slices.Sorted(maps.Keys(queryables))
		return strings.Join(ns, ", ")
	}
	var err error
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if err != nil {
			return
		}
		key, val := string(k), string(v)
		switch key {
		case "f", "v":
		case "bbox":
			if q.BBox, err = geo.ParseBBox(val); err != nil {
				err = badRequest("%v", err)
			}
		case "bbox-crs":
			if val != crs84 {
				err = badRequest("bbox-crs %q is not supported; bbox is in %s (lon/lat)", val, crs84)
			}
		case "datetime":
			var iv geo.Interval
			if iv, err = geo.ParseDatetime(val); err != nil {
				err = badRequest("%v", err)
			}
			q.Time = &iv
		case "limit":
			// Over the maximum is lowered, not refused (OGC API Features).
			q.limit, err = cappedParam("limit", val, 1, limitMax)
		case "offset":
			q.offset, err = intParam("offset", val, 0, maxOffset)
		case "properties":
			q.properties = []string{}
			for _, p := range strings.Split(val, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if _, ok := queryables[p]; !ok {
					err = badRequest("properties: %q is not a property of %s; it has %s", p, layer, names())
					return
				}
				q.properties = append(q.properties, p)
			}
		default:
			if _, ok := queryables[key]; ok {
				q.Equals[key] = val
				return
			}
			err = badRequest("unknown query parameter %q; items take %s, or a property of %s to filter by (see its queryables)",
				key, strings.Join(itemsParams, ", "), layer)
		}
	})
	return q, err
}

// itemsResult is what an items response is built from: the layer, the
// number matched, the query, and the page as HTML rows (the JSON page is
// written to a buffer as it is read).
type itemsResult struct {
	layer   layers.Layer
	matched int
	q       itemsQuery
	html    []pageFeature
}

func (s *Server) handleItems(c *fiber.Ctx) error {
	f, err := format(c)
	if err != nil {
		return err
	}
	r, l, err := s.collectionOf(c, c.Params("layer"))
	if err != nil {
		return err
	}
	// An editor or reviewer with drafts in the layer sees them: a page
	// built for them alone, never cached, with the drafts laid over the
	// stored layer.
	drafts, err := s.draftOverlay(c, l)
	if err != nil {
		return err
	}
	if drafts != nil {
		c.Set(fiber.HeaderVary, "Authorization, Cookie")
	}
	base := s.baseURL(c)
	// A page is built once per layer revision and query, then served from
	// memory; only valid queries are kept.
	rawQuery := string(c.Context().QueryArgs().QueryString())
	key := l.ID + "@" + l.Revision + "|" + base + "|" + rawQuery
	if f == formatJSON && drafts == nil {
		if b, ok := s.pages.get(key); ok {
			return sendBody(c, b, mimeGeoJSON)
		}
	}
	if pageSize(c, l) > bigPage {
		// 16 pages of 10 000 polygons built at once took the process to
		// 600-700 MiB: a few at a time, the others waiting their turn.
		release, err := s.bigPages.acquire(c.UserContext())
		if err != nil {
			return err
		}
		defer release()
	}
	var buf bytes.Buffer
	var res itemsResult
	if ix, ok := r.(layers.Indexed); ok {
		// Read from the store's index and stored bodies, in one read
		// transaction: nothing of the layer is decoded but the page (and
		// the drafts' own features).
		read := func() error { return s.itemsFromIndex(c, ix, l.ID, drafts, f, base, &buf, &res) }
		if l.Count > s.cfg.MaxWholeLayer && scansLayer(c) {
			// A filter without a bbox reads every feature's attributes
			// (0.5 s over bench's 1M polygons): expensive work, so a burst
			// of them cannot take every core and the page cache.
			err = s.expensive.run(c.UserContext(), read)
		} else {
			err = read()
		}
	} else {
		var sn *layers.Snapshot
		if sn, err = s.snapshotOf(c.UserContext(), r, l.ID); err != nil {
			return err
		}
		if drafts != nil {
			if sn, err = overlaid(sn, drafts); err != nil {
				return err
			}
		}
		err = itemsFromSnapshot(c, sn, f, base, &buf, &res)
	}
	if err != nil {
		return err
	}
	q := res.q
	l = res.layer

	self := base + "/collections/" + l.ID + "/items"
	withParams := func(fmt string, offset int) string {
		v := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, val []byte) { v.Add(string(k), string(val)) })
		v.Set("f", fmt)
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		} else {
			v.Del("offset")
		}
		return self + "?" + v.Encode()
	}
	returned := max(0, min(q.limit, res.matched-q.offset))
	links := []link{
		{Href: withParams("json", q.offset), Rel: "self", Type: mimeGeoJSON, Title: "This page"},
		{Href: withParams("html", q.offset), Rel: "alternate", Type: mimeHTML, Title: "This page as HTML"},
		{Href: base + "/collections/" + l.ID, Rel: "collection", Type: mimeJSON, Title: l.Title},
	}
	if q.offset+returned < res.matched {
		links = append(links, link{Href: withParams("json", q.offset+returned), Rel: "next", Type: mimeGeoJSON, Title: "Next page"})
	}
	if q.offset > 0 {
		links = append(links, link{Href: withParams("json", max(0, q.offset-q.limit)), Rel: "prev", Type: mimeGeoJSON, Title: "Previous page"})
	}

	if f == formatHTML {
		ip := itemsPage{Layer: l, Matched: res.matched, Offset: q.offset, Features: res.html}
		if q.offset+returned < res.matched {
			ip.Next = withParams("html", q.offset+returned)
		}
		if q.offset > 0 {
			ip.Prev = withParams("html", max(0, q.offset-q.limit))
		}
		return s.renderHTML(c, "items", htmlPage{Title: l.Title, Data: ip})
	}

	var out bytes.Buffer
	out.Grow(1024 + buf.Len())
	out.WriteString(`{"type":"FeatureCollection","numberMatched":`)
	out.WriteString(strconv.Itoa(res.matched))
	out.WriteString(`,"numberReturned":`)
	out.WriteString(strconv.Itoa(returned))
	out.WriteString(`,"timeStamp":"`) // when this page was built
	out.WriteString(time.Now().UTC().Format(time.RFC3339))
	out.WriteString(`","links":`)
	query.WriteLinks(&out, links)
	out.WriteString(`,"features":[`)
	out.Write(buf.Bytes())
	out.WriteString("]}")
	// The ETag names the revision and the query, so a repeated request is a 304.
	h := sha256.Sum256([]byte(base + "\x00" + rawQuery))
	b, err := compressedLevel(out.Bytes(), l.Revision+"-"+hex.EncodeToString(h[:6]), gzip.DefaultCompression)
	if err != nil {
		return err
	}
	if drafts != nil {
		err := sendBody(c, b, mimeGeoJSON)
		c.Set(fiber.HeaderCacheControl, "private, no-store")
		return err
	}
	s.pages.put(key, b)
	return sendBody(c, b, mimeGeoJSON)
}

// bigPage is the most features an items page holds before its build takes
// a slot of the pages' limiter: 8-9 MB of JSON for 10 000 of bench's
// polygons, and several times that in flight.
const bigPage = 1000

// pageSize is the most features the request's page can hold: its limit,
// or what the layer holds past its offset. Malformed values count as the
// defaults; the query's parsing refuses them.
func pageSize(c *fiber.Ctx, l layers.Layer) int {
	limit, offset := limitDefault, 0
	if n, err := strconv.Atoi(c.Query("limit")); err == nil {
		limit = min(max(n, 0), limitMax)
	}
	if n, err := strconv.Atoi(c.Query("offset")); err == nil && n > 0 {
		offset = n
	}
	return min(limit, max(0, l.Count-offset))
}

// scansLayer reports whether an items request reads every feature of the
// layer: a filter (datetime or a property) without a bbox. A bbox reads
// its candidates, a plain page its features.
func scansLayer(c *fiber.Ctx) bool {
	args := c.Context().QueryArgs()
	if args.Has("bbox") {
		return false
	}
	scans := false
	args.VisitAll(func(k, _ []byte) {
		if !slices.Contains(itemsParams, string(k)) || string(k) == "datetime" {
			scans = true
		}
	})
	return scans
}

// itemsFromIndex answers an items query from the store's spatial index and
// stored bodies, with drafts (nil: none) laid over them: the features of
// the page are written to buf (JSON) or listed in res.html, in the read
// transaction.
func (s *Server) itemsFromIndex(c *fiber.Ctx, ix layers.Indexed, id string, drafts *query.Overlay, f, base string, buf *bytes.Buffer, res *itemsResult) error {
	var q itemsQuery
	n := 0
	plan := func(r query.Result) (layers.Query, query.Page, error) {
		var err error
		q, err = parseItemsQuery(c, id, r.Queryables)
		return q.Query, query.Page{Offset: q.offset, Limit: q.limit}, err
	}
	qr, err := query.ItemsOver(c.UserContext(), ix, id, drafts, plan, func(b layers.Body) error {
		if f == formatHTML {
			var flat map[string]any
			if err := json.Unmarshal(b.Properties, &flat); err != nil {
				return fmt.Errorf("decode properties of %s/%s: %w", id, b.ID, err)
			}
			res.html = append(res.html, pageFeatureOf(id, b.ID, flat))
			return nil
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		return query.WriteFeature(buf, id, b, q.properties, base)
	})
	if err != nil {
		return err
	}
	res.layer, res.matched, res.q = qr.Layer, qr.Matched, q
	return nil
}

// itemsFromSnapshot answers an items query from a layer decoded in memory
// (a reader without an index).
func itemsFromSnapshot(c *fiber.Ctx, sn *layers.Snapshot, f, base string, buf *bytes.Buffer, res *itemsResult) error {
	q, err := parseItemsQuery(c, sn.Layer.ID, sn.Queryables)
	if err != nil {
		return err
	}
	matched := query.Match(sn, q.Query)
	page := matched[min(q.offset, len(matched)):min(q.offset+q.limit, len(matched))]
	res.layer, res.matched, res.q = sn.Layer, len(matched), q
	if f == formatHTML {
		res.html = pageFeatures(sn, page)
		return nil
	}
	for n, i := range page {
		if n > 0 {
			buf.WriteByte(',')
		}
		if err := writeFeature(buf, sn, i, q.properties, base); err != nil {
			return err
		}
	}
	return nil
}

// writeFeature appends feature i of sn as GeoJSON (see query.WriteFeature).
func writeFeature(buf *bytes.Buffer, sn *layers.Snapshot, i int, props []string, base string) error {
	f := sn.Features[i]
	return query.WriteFeature(buf, f.Layer, layers.Body{ID: f.ID, Geometry: sn.Geometry[i], Properties: sn.Props[i], Passages: passagesOf(f)}, props, base)
}

// passagesOf lists the passages of f's claims, in order, once each.
func passagesOf(f layers.Feature) []string {
	var out []string
	for _, c := range f.Claims {
		if !slices.Contains(out, c.Passage) {
			out = append(out, c.Passage)
		}
	}
	return out
}

// featureLinks are a feature's own links: itself, its collection, and each
// passage that is evidence for it.
func featureLinks(base string, f layers.Feature) []link {
	return query.FeatureLinks(base, f.Layer, f.ID, passagesOf(f))
}

func (s *Server) handleQueryables(c *fiber.Ctx) error {
	f, err := formatOf(c, "f", "v")
	if err != nil {
		return err
	}
	r, l, err := s.collectionOf(c, c.Params("layer"))
	if err != nil {
		return err
	}
	types, queryables, err := s.layerFacts(c.UserContext(), r, l.ID)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	props := fiber.Map{}
	names := slices.Sorted(maps.Keys(queryables))
	for _, k := range names {
		props[k] = fiber.Map{"type": queryables[k], "title": k}
	}
	// The geometry, typed the way OGC API Features Part 3 and Part 5 type a
	// spatial queryable, so a client knows the layer's type up front.
	props["geometry"] = fiber.Map{
		"title": "geometry", "format": geometryFormat(types), "x-ogc-role": "primary-geometry",
		"description": "The feature's geometry (" + orAny(types.Type()) + "), in " + crs84,
	}
	if f == formatHTML {
		return s.renderHTML(c, "queryables", htmlPage{Title: "Queryables of " + l.Title, Data: names})
	}
	c.Set(fiber.HeaderContentType, mimeSchema)
	b, err := json.Marshal(fiber.Map{
		"$schema":    "https://json-schema.org/draft/2020-12/schema",
		"$id":        base + "/collections/" + l.ID + "/queryables",
		"type":       "object",
		"title":      l.Title,
		"properties": props,
	})
	if err != nil {
		return err
	}
	return c.Send(b)
}

// layerFacts are the geometry types and queryables of layer id of r: from
// the store's layer description when it keeps an index, else from a
// snapshot of the layer.
func (s *Server) layerFacts(ctx context.Context, r layers.Reader, id string) (geo.TypeSet, map[string]string, error) {
	var (
		types geo.TypeSet
		q     map[string]string
	)
	if ix, ok := r.(layers.Indexed); ok {
		err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
			types, q = li.Types(), maps.Clone(li.Queryables())
			return nil
		})
		return types, q, err
	}
	sn, err := s.snapshotOf(ctx, r, id)
	if err != nil {
		return types, nil, err
	}
	return sn.Types, sn.Queryables, nil
}

// geometryFormat is the OGC API Features Part 5 `format` of a geometry
// property holding types ts: "geometry-point", "geometry-polygon-or-
// multipolygon", ..., or "geometry-any".
func geometryFormat(ts geo.TypeSet) string {
	t := ts.Type()
	switch t {
	case "", "Geometry":
		return "geometry-any"
	case "MultiPoint", "MultiLineString", "MultiPolygon":
		single := strings.TrimPrefix(t, "Multi")
		if ts.Has(single) {
			return "geometry-" + strings.ToLower(single) + "-or-" + strings.ToLower(t)
		}
	}
	return "geometry-" + strings.ToLower(t)
}

func orAny(t string) string {
	if t == "" || t == "Geometry" {
		return "any geometry type"
	}
	return t
}
