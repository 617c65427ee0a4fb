package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

const mimeMVT = "application/vnd.mapbox-vector-tile"

// tileCacheSize bounds the tiles kept encoded (a few hundred bytes to a few
// hundred kilobytes each).
const tileCacheSize = 20000

// tileSetCount bounds the layer revisions whose generalized levels are
// kept (each holds, per zoom built, a flag and at most one simplified copy
// per feature).
const tileSetCount = 16

// handleTile serves /tiles/{layer}/{z}/{x}/{y}.mvt for every layer, the
// basemap too. Each tile is encoded once per layer revision and kept with
// its gzip form; a cached tile costs a parse, a lookup of the layer's
// revision and the send of ready bytes.
func (s *Server) handleTile(c *fiber.Ctx) error {
	if err := allowParams(c, "v"); err != nil {
		return err
	}
	ys, ok := strings.CutSuffix(c.Params("y"), ".mvt")
	if !ok {
		return layers.Errorf(layers.ENOTFOUND, "no tile %s/%s/%s: tiles are /tiles/{layer}/{z}/{x}/{y}.mvt", c.Params("z"), c.Params("x"), c.Params("y"))
	}
	z, err := intParam("z", c.Params("z"), 0, tiles.MaxZoom)
	if err != nil {
		return err
	}
	last := 1<<z - 1
	x, err := intParam("x", c.Params("x"), 0, last)
	if err != nil {
		return err
	}
	y, err := intParam("y", ys, 0, last)
	if err != nil {
		return err
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	// Read before the layer: a tile is never remembered for a version
	// newer than the one it was built from.
	v := 0
	if c.Query("v") == "" {
		v, _ = s.store.Version(ctx)
	}
	l, err := s.layerOf(ctx, r, c.Params("layer"))
	if err != nil {
		return err
	}
	key, b, err := s.tile(ctx, r, l, z, x, y)
	if err != nil {
		return err
	}
	return s.sendTile(c, v, key, b)
}

// tile is tile z/x/y of layer l as r holds it, encoded and compressed once
// per layer revision, and its cache key.
func (s *Server) tile(ctx context.Context, r layers.Reader, l layers.Layer, z, x, y int) (string, *body, error) {
	key := l.ID + "/" + strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y) + "@" + l.Revision
	if b, ok := s.tiles.get(key); ok {
		return key, b, nil
	}
	// Concurrent misses on one tile encode it once.
	b, err := s.tiles.getOr(ctx, key, func(ctx context.Context) (*body, error) {
		plain, err := s.encodeTile(ctx, r, l, z, x, y)
		if err != nil {
			return nil, err
		}
		return compressedLevel(plain, fmt.Sprintf("%s-%d-%d-%d", l.Revision, z, x, y), tileGzipLevel)
	})
	return key, b, err
}

// warmTileZoom is the zoom whose tiles Warm makes: the map's first view,
// the region on a desktop (src/map.js, DEFAULT_BOUNDS) and the South
// Caucasus at zoom 4.9 on a phone, asks for zoom-4 tiles (they are 512
// pixels). Only that zoom: each zoom of the basemap made keeps a
// generalized copy of its features, and with zooms 0-5 made the idle
// server held 5 MB more heap (47 MiB RSS instead of 40; 42 MiB with zoom 4).
const warmTileZoom = 4

// warmTiles makes layer l's tiles at warmTileZoom where its bound meets
// area (all of its bound when area is empty).
func (s *Server) warmTiles(ctx context.Context, l layers.Layer, area orb.Bound) error {
	b := l.Bound
	if !area.IsZero() {
		if !b.Intersects(area) {
			return nil
		}
		b = orb.Bound{
			Min: orb.Point{max(b.Min[0], area.Min[0]), max(b.Min[1], area.Min[1])},
			Max: orb.Point{min(b.Max[0], area.Max[0]), min(b.Max[1], area.Max[1])},
		}
	}
	z := warmTileZoom
	for _, t := range tiles.Cover(b, z) {
		if _, _, err := s.tile(ctx, s.store, l, z, int(t.X), int(t.Y)); err != nil {
			return fmt.Errorf("tile %s/%d/%d/%d: %w", l.ID, z, t.X, t.Y, err)
		}
	}
	return nil
}

// tileGzipLevel is the gzip level of a tile made on request, inside the
// reader's wait: on the 308 KB z6 tile of a 1M-polygon layer (BenchmarkTileZ6)
// level 3 takes a fifth of the default level's time (~10 against ~55 ms)
// for 6% more bytes (131 against 124 KB).
const tileGzipLevel = 3

// encodeTile cuts tile z/x/y of layer l. A store that keeps generalized
// levels gives it from what lies in the tile, in one read transaction; the
// basemap (small, and its label points are placed over whole countries)
// and other readers cut it from the decoded layer.
func (s *Server) encodeTile(ctx context.Context, r layers.Reader, l layers.Layer, z, x, y int) ([]byte, error) {
	if ts, ok := r.(tiles.Store); ok && l.Kind != layers.KindBasemap {
		var plain []byte
		err := ts.ReadTiles(ctx, l.ID, func(st tiles.Stored) error {
			var err error
			plain, err = tiles.EncodeStored(st, z, x, y)
			return err
		})
		return plain, err
	}
	set, err := s.tileSet(ctx, r, l)
	if err != nil {
		return nil, err
	}
	return set.Encode(z, x, y)
}

// tileSet is layer l's tile Set, built once per revision.
func (s *Server) tileSet(ctx context.Context, r layers.Reader, l layers.Layer) (*tiles.Set, error) {
	return s.tileSets.getOr(ctx, l.ID+"@"+l.Revision, func(ctx context.Context) (*tiles.Set, error) {
		sn, err := s.snapshotOf(ctx, r, l.ID)
		if err != nil {
			return nil, err
		}
		return tiles.NewSet(sn), nil
	})
}

// handleTileJSON serves /tiles/{layer}.json (TileJSON 3.0), so MapLibre and
// QGIS find the tiles.
func (s *Server) handleTileJSON(c *fiber.Ctx) error {
	if err := allowParams(c, "v"); err != nil {
		return err
	}
	id, ok := strings.CutSuffix(c.Params("file"), ".json")
	if !ok {
		return layers.Errorf(layers.ENOTFOUND, "no %q: TileJSON is at /tiles/{layer}.json", c.Params("file"))
	}
	r, err := s.reader(c)
	if err != nil {
		return err
	}
	l, q, err := s.tileFields(c.UserContext(), r, id)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	fields := map[string]string{"id": "String", "layer": "String"}
	names := tiles.Fields
	if l.Kind == layers.KindBasemap {
		names = tiles.BasemapFields
	} else {
		fields["_from"], fields["_to"], fields["_label"] = "Number", "Number", "Boolean"
	}
	for _, f := range names {
		switch q[f] {
		case "number":
			fields[f] = "Number"
		case "":
		default:
			fields[f] = "String"
		}
	}
	vectorLayers := []fiber.Map{{
		"id": l.ID, "description": l.Title, "fields": fields,
		"minzoom": 0, "maxzoom": tiles.MaxZoom,
	}}
	if l.Kind == layers.KindBasemap {
		vectorLayers = append(vectorLayers, fiber.Map{
			"id": tiles.LabelLayer, "description": "Country label points (_grid: 3, 4, 5 for close views)",
			"fields": map[string]string{"name": "String", "_grid": "Number"}, "minzoom": 0, "maxzoom": tiles.MaxZoom,
		})
	}
	b := l.Bound
	return c.JSON(fiber.Map{
		"tilejson":      "3.0.0",
		"name":          l.Title,
		"description":   l.Description,
		"attribution":   l.Attribution,
		"version":       "1.0.0",
		"scheme":        "xyz",
		"tiles":         []string{base + "/tiles/" + l.ID + "/{z}/{x}/{y}.mvt"},
		"minzoom":       0,
		"maxzoom":       tiles.MaxZoom,
		"bounds":        []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		"vector_layers": vectorLayers,
	})
}

// tileFields is layer id of r and the JSON type of each of its
// properties: from the store's index when it keeps one, so a layer of any
// size is described without decoding it.
func (s *Server) tileFields(ctx context.Context, r layers.Reader, id string) (layers.Layer, map[string]string, error) {
	if ix, ok := r.(layers.Indexed); ok {
		var (
			l layers.Layer
			q map[string]string
		)
		err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
			l, q = li.Layer(), li.Queryables()
			return nil
		})
		return l, q, err
	}
	sn, err := s.snapshotOf(ctx, r, id)
	if err != nil {
		return layers.Layer{}, nil, err
	}
	return sn.Layer, sn.Queryables, nil
}
