// Package server is citemap's HTTP surface, and the only package that
// imports Fiber. Handlers read through layers.Store and never touch storage.
package server

import (
	"context"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/edit"
	"github.com/citemap/citemap/layers/staticmap"
	"github.com/citemap/citemap/layers/tiles"
)

// Config is the server's configuration.
type Config struct {
	// BaseURL, when set, is the public address links are built from
	// (e.g. https://maps.example.org). Otherwise each request's host is used.
	BaseURL string
	// Assets is the front end's built files (index.html at the root).
	Assets fs.FS
	Logger *slog.Logger
	// AccessLog receives one line per request (see accessLog); nil logs
	// no requests. It should buffer: it is written on every request.
	AccessLog io.Writer
	// FrameAncestors lists the sites allowed to frame embed pages (CSP
	// source expressions); empty means every site.
	FrameAncestors []string
	// Expensive bounds concurrent downloads and images; default 4.
	Expensive int
	// RequestTimeout bounds how long a request waits for shared work (a
	// snapshot, a download another request is building, a slot); then it
	// answers 503 with Retry-After while the work goes on. Default 50 s,
	// under the 60 s write timeout.
	RequestTimeout time.Duration
	// Editor, when set, opens the write API (users, changesets, Part 4);
	// without it the server is read-only.
	Editor *edit.Service
	// MaxWholeLayer bounds the layers held whole in memory; default
	// MaxWholeLayer.
	MaxWholeLayer int
	// DownloadDir, when set, is a folder the server keeps to itself: the
	// GeoPackage last built for each layer too large to keep its downloads
	// in memory stays there (one file per layer) for the next request of
	// the same revision. It is emptied of them at start. Unset, each such
	// request builds its GeoPackage again.
	DownloadDir string
}

// CacheBudget is the most memory the server's caches hold together (their
// byte caps add up to it): half of the 512 MiB peak RSS the load test
// allows, leaving the rest to requests under way.
const CacheBudget = 256 << 20

// MaxWholeLayer is the most features of one layer the server holds in
// memory at once: routes that need a whole layer (basemap tiles, a layer
// with drafts, pictures and embeds of layers whose snapshot the cache
// keeps) refuse a larger one, naming the limit. Items, single features,
// queryables, collection descriptions, tiles and downloads read every
// layer from the store's file instead (its spatial index, stored bodies
// and levels), so their memory follows the page or chunk asked for.
//
// The memory budget is then: the caches, CacheBudget (256 MiB, including
// the snapshots' 128 MiB share); snapshots being built, at most
// Config.Expensive of them at once and each of at most MaxWholeLayer
// features; pictures of a larger layer, or of one whose snapshot the cache
// would not keep, read from its stored levels for their view, at most
// Config.Expensive at once, each holding what that zoom stores in the view
// (65 MB of heap for a 2.5° view of bench's 1M polygons at zoom 8); and
// per items request, the candidates of its bbox (about 50 bytes a match)
// and one page (at most 10 000 features; pages of over bigPage features
// are built at most Config.Expensive, and no more than there are cores, at
// once). The file's pages are mapped, not allocated: the server drops its
// mapping of them past a budget of its own (cmd/mapserver), and the page
// cache keeps the data.
const MaxWholeLayer = 250_000

// wholeLayer refuses a layer too large to hold in memory.
func (s *Server) wholeLayer(l layers.Layer) error {
	if l.Count > s.cfg.MaxWholeLayer {
		return layers.Errorf(layers.EINVALID, "layer %q holds %d features, more than the %d this route reads into memory at once; page through /collections/%s/items (with bbox, datetime or property filters) instead",
			l.ID, l.Count, s.cfg.MaxWholeLayer, l.ID)
	}
	return nil
}

// snapshotSize estimates the memory a prepared layer holds (featureSize
// of each feature).
func snapshotSize(sn *layers.Snapshot) int {
	n := 0
	for i := range sn.Features {
		n += featureSize(len(sn.Geometry[i]), len(sn.Props[i]), len(sn.Features[i].Claims))
	}
	return n
}

// featureSize estimates the memory one feature of a snapshot holds: its
// encoded geometry and properties (in bytes), about as much again decoded,
// a fixed kilobyte for the property maps, bound, time and index entry, and
// each claim. Against the heap bench's layers take decoded (21.5k points
// plain and cited, 21.5k and 100k polygons: 31, 35, 40 and 186 MiB) it
// counts 1.01-1.02 times as much. The fixed part was 512 bytes before,
// which counted 0.60-0.76 times the heap: the snapshot cache held up to
// two thirds more than its share.
func featureSize(geometry, props, claims int) int {
	return 2*(geometry+props) + 1024 + 192*claims
}

// Server answers HTTP requests from a layers.Store.
type Server struct {
	store     layers.Store
	cfg       Config
	log       *slog.Logger
	access    *accessLog // nil without Config.AccessLog
	app       *fiber.App
	templates map[string]*template.Template
	bodies    *lru[*body]            // by kind:layer@revision
	snapshots *lru[*layers.Snapshot] // by layer id @ revision
	tiles     *lru[*body]
	hot       *hotTiles                     // tile paths answered before the middleware
	tileSets  *lru[*tiles.Set]              // by layer id @ revision
	items     *lru[*body]                   // single features, by layer@revision/id|base
	pages     *lru[*body]                   // items pages, by layer@revision|base|query
	pictures  *lru[[]byte]                  // static maps, by their ETag|base
	layerMeta *lru[map[string]layers.Layer] // every layer of a data version
	sizes     *lru[layerSize]               // a layer's sizes, by layer@revision (sizeOf)
	expensive *limiter                      // bounds work that builds large bodies
	views     *limiter                      // bounds pictures read for their view (see picture)
	bigPages  *limiter                      // bounds items pages of over bigPage features being built
	described *lru[description]             // pages' and oEmbed's titles and source counts (see describe)
	gpkgs     *gpkgFiles                    // large layers' GeoPackages kept on disk; nil: built per request
	renderer  *staticmap.Renderer
	assets    map[string]*asset // the front end's files, by path (assets/...)
}

// New builds a server and its routes.
func New(store layers.Store, cfg Config) (*Server, error) {
	if cfg.Expensive == 0 {
		cfg.Expensive = 4
	}
	if cfg.MaxWholeLayer == 0 {
		cfg.MaxWholeLayer = MaxWholeLayer
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 50 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	bodySize := func(b *body) int { return len(b.plain) + len(b.gzip) }
	s := &Server{store: store, cfg: cfg, log: cfg.Logger, templates: tmpl,
		// Bounded in bytes as well as count, together CacheBudget: under
		// load the caches must not take the memory a burst of new requests
		// needs. A value larger than its cache's share is served, not kept.
		snapshots: newBytesLRU(16, 128<<20, snapshotSize),
		bodies:    newBytesLRU(32, 55<<20, bodySize),
		tiles:     newBytesLRU(tileCacheSize, 40<<20, bodySize),
		hot:       newHotTiles(tileCacheSize),
		tileSets:  newLRU[*tiles.Set](tileSetCount),
		pages:     newBytesLRU(2048, 16<<20, bodySize),
		items:     newBytesLRU(8192, 6<<20, bodySize),
		pictures:  newBytesLRU(256, 8<<20, func(b []byte) int { return len(b) }),
		described: newBytesLRU(4096, 1<<20, func(d description) int { return 64 + len(d.title) }),
		layerMeta: newBytesLRU(8, 2<<20, func(m map[string]layers.Layer) int { return 4096 * len(m) }),
		sizes:     newLRU[layerSize](256),
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "citemap",
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		ReadTimeout:           30 * time.Second,
		BodyLimit:             maxSourceBody, // routes that take a body set lower limits
		ReadBufferSize:        16 << 10,      // long QGIS URLs fit; longer ones get 431
		// A response larger than the buffer leaves in one writev, headers
		// from the buffer and the body from where it is held (a cached
		// tile or page), so a big buffer would only add a copy: measured
		// with bench/tile.sh, 64 KiB cost about 1 µs more CPU per 23 KB
		// tile. Smaller responses are copied and sent in one write.
		WriteBufferSize: 8 << 10,
		WriteTimeout:    60 * time.Second,
		IdleTimeout:     120 * time.Second,
	})
	s.expensive = newLimiter(cfg.Expensive, 5*time.Second)
	s.views = newLimiter(cfg.Expensive, 5*time.Second)
	// Building a page is CPU work: more at once than there are cores ends
	// none sooner and holds each one's memory longer. A client paging
	// through a layer (QGIS, GDAL) had rather wait than be refused: a page
	// waits up to 30 s for its slot, within the request's deadline.
	s.bigPages = newLimiter(min(cfg.Expensive, runtime.GOMAXPROCS(0)), 30*time.Second)
	if cfg.DownloadDir != "" {
		if s.gpkgs, err = newGPKGFiles(cfg.DownloadDir); err != nil {
			return nil, err
		}
	}
	if s.assets, err = loadAssets(cfg.Assets); err != nil {
		return nil, err
	}
	if s.renderer, err = staticmap.NewRenderer(); err != nil {
		return nil, err
	}
	s.routes()
	if cfg.AccessLog != nil {
		s.access = newAccessLog(cfg.AccessLog)
	}
	// A tile already encoded for the current data version is answered
	// before Fiber sees the request (serveHotTile); everything else goes
	// through the routes.
	s.app.Server().Handler = s.hotTileHandler(s.app.Handler())
	return s, nil
}

// deadline gives the request's context its RequestTimeout: Fiber's own
// user context never ends, so without it a waiter would wait forever.
func (s *Server) deadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// App exposes the Fiber app, for tests (app.Test).
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) routes() {
	app := s.app
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic", "path", c.Path(), "panic", e)
	}}))
	app.Use(s.accessLog)
	app.Use(s.deadline)
	app.Use(s.securityHeaders)
	app.Use(s.noTokenInURL)
	app.Use(s.methods)
	app.Use(compress.New())

	app.Get("/healthz", s.handleHealth)
	app.Get("/favicon.ico", s.handleFavicon)
	app.Get("/", s.handleRoot)
	app.Get("/conformance", s.handleConformance)
	app.Get("/api", s.handleAPI)
	app.Get("/collections", s.handleCollections)
	app.Get("/collections/:layer", s.handleCollection)
	app.Get("/collections/:layer/items", s.handleItems)
	app.Get("/collections/:layer/items/:feature", s.handleItem)
	app.Get("/collections/:layer/queryables", s.handleQueryables)
	app.Get("/ui/*", s.handleUI)
	app.Get("/static/map.:ext", s.handleStaticMap)
	app.Get("/oembed", s.handleOEmbed)
	app.Get("/embed", s.handleEmbed)
	app.Get("/layers/:file", s.handleLayerDownload)
	app.Get("/tiles/:file", s.handleTileJSON)
	app.Get("/tiles/:layer/:z/:x/:y", s.handleTile)
	app.Get("/sources", s.handleSources)
	app.Get("/sources/:source", s.handleSource)
	app.Get("/passages.csv", s.handlePassagesCSV)
	app.Get("/passages", s.handlePassages)
	app.Get("/passages/:passage", s.handlePassage)
	app.Get("/annotations", s.handleAnnotations)
	app.Get("/search", s.handleSearch)
	if s.cfg.Editor != nil {
		app.Get("/session", s.handleSession)
		app.Post("/session", s.handleLogin)
		app.Delete("/session", s.handleLogout)
		app.Post("/collections/:layer/items", s.handleCreateItem)
		app.Put("/collections/:layer/items/:feature", s.handleReplaceItem)
		app.Patch("/collections/:layer/items/:feature", s.handlePatchItem)
		app.Delete("/collections/:layer/items/:feature", s.handleDeleteItem)
		app.Get("/collections/:layer/items/:feature/history", s.handleHistory)
		app.Post("/sources", s.handleCreateSource)
		app.Post("/sources/:source/passages", s.handleCreatePassage)
		app.Post("/sources/:source/revisions", s.handleRevision)
		app.Get("/sources/:source/suggestions", s.handleSuggestions)
		app.Get("/changesets", s.handleChangesets)
		app.Post("/changesets", s.handleOpenChangeset)
		app.Get("/changesets/:changeset", s.handleChangeset)
		app.Post("/changesets/:changeset/submit", s.handleSubmit)
		app.Post("/changesets/:changeset/publish", s.handlePublish)
		app.Post("/changesets/:changeset/revert", s.handleRevert)
		app.Get("/changes", s.handleChanges)
		app.Get("/users", s.handleUsers)
		app.Post("/users", s.handleAddUser)
		app.Delete("/users/:user", s.handleRevokeUser)
	}
	if s.cfg.Assets != nil {
		app.Get("/assets/*", s.handleAsset)
	}
	// Anything else is a 404 problem, not an HTML page.
	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no route for "+c.Method()+" "+c.Path())
	})
}

// Serve answers on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.app.ShutdownWithContext(sctx); err != nil {
			return err
		}
		return <-errc
	}
}

func (s *Server) handleHealth(c *fiber.Ctx) error {
	if _, err := s.store.Version(c.UserContext()); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

// baseURL is the absolute address links start with.
func (s *Server) baseURL(c *fiber.Ctx) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return c.Protocol() + "://" + c.Hostname()
}

// body is an encoded response kept with its gzip form.
type body struct {
	revision string
	plain    []byte
	gzip     []byte
}
