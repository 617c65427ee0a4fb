package server

import (
	"compress/gzip"
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

const mimeMVT = "application/vnd.mapbox-vector-tile"

// tileCacheSize bounds the tiles kept encoded (a few hundred bytes to a few
// hundred kilobytes each).
const tileCacheSize = 20000

// handleTile serves /tiles/{layer}/{z}/{x}/{y}.mvt, each tile encoded once
// per layer revision and kept with its gzip form.
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
	sn, err := s.snapshot(c, c.Params("layer"))
	if err != nil {
		return err
	}
	// Concurrent misses on one tile encode it once.
	key := fmt.Sprintf("%s/%d/%d/%d@%s", sn.Layer.ID, z, x, y, sn.Layer.Revision)
	b, err := s.tiles.getOr(c.UserContext(), key, func(context.Context) (*body, error) {
		plain, err := tiles.Encode(sn, z, x, y)
		if err != nil {
			return nil, err
		}
		return compressedLevel(plain, fmt.Sprintf("%s-%d-%d-%d", sn.Layer.Revision, z, x, y), gzip.DefaultCompression)
	})
	if err != nil {
		return err
	}
	return sendBody(c, b, mimeMVT)
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
	sn, err := s.snapshot(c, id)
	if err != nil {
		return err
	}
	base := s.baseURL(c)
	fields := map[string]string{"id": "String", "layer": "String"}
	for _, f := range tiles.Fields {
		switch sn.Queryables[f] {
		case "number":
			fields[f] = "Number"
		case "":
		default:
			fields[f] = "String"
		}
	}
	b := sn.Layer.Bound
	return c.JSON(fiber.Map{
		"tilejson":    "3.0.0",
		"name":        sn.Layer.Title,
		"description": sn.Layer.Description,
		"attribution": sn.Layer.Attribution,
		"version":     "1.0.0",
		"scheme":      "xyz",
		"tiles":       []string{base + "/tiles/" + sn.Layer.ID + "/{z}/{x}/{y}.mvt"},
		"minzoom":     0,
		"maxzoom":     tiles.MaxZoom,
		"bounds":      []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		"vector_layers": []fiber.Map{{
			"id": sn.Layer.ID, "description": sn.Layer.Title, "fields": fields,
			"minzoom": 0, "maxzoom": tiles.MaxZoom,
		}},
	})
}
