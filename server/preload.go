package server

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
)

// preloadMapData names, in a Link header of the map page, the data the map
// fetches first (the collections, the basemap's TileJSON and every layer
// it downloads whole), so the browser fetches them while it still loads
// and parses the app instead of after: the first frame waited for that
// round trip and then for one more, the layers after the collections.
// The addresses are the ones urls.js builds, pinned version included.
// Best effort: a store error leaves the page without the hints.
func (s *Server) preloadMapData(c *fiber.Ctx, v int) {
	var r layers.Reader = s.store
	if v > 0 {
		var err error
		if r, err = s.at(c.UserContext(), v); err != nil {
			return
		}
	}
	all, err := r.Layers(c.UserContext())
	if err != nil {
		return
	}
	pin := func(p string) string {
		if v <= 0 {
			return p
		}
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		return fmt.Sprintf("%s%sv=%d", p, sep, v)
	}
	links := []string{pin("/collections?f=json"), pin("/tiles/basemap.json")}
	for _, l := range all {
		if tiled, err := s.drawnFromTiles(c.UserContext(), r, l); err != nil || tiled {
			continue
		}
		links = append(links, pin("/layers/"+url.PathEscape(l.ID)+".geojson"))
	}
	for i, p := range links {
		links[i] = "<" + p + ">; rel=preload; as=fetch; crossorigin=anonymous"
	}
	c.Append(fiber.HeaderLink, strings.Join(links, ", "))
}
