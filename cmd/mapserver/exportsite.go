package main

import (
	"context"
	"fmt"
	"os"

	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/server"
)

func (m *Main) exportSite(ctx context.Context, args []string) error {
	fset := m.flags("export-site", "export-site DIR [--max-zoom N] [--base-url URL] [--db FILE]")
	maxZoom := fset.Int("max-zoom", 6, "deepest zoom of the tile pyramid (0-16)")
	baseURL := fset.String("base-url", m.env("MAPSERVER_BASE_URL", ""), "public URL the site will be served from; links in JSON start with it")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: export-site takes one folder", errUsage)
	}
	if *maxZoom < 0 || *maxZoom > 16 {
		return fmt.Errorf("%w: --max-zoom %d is not within 0..16", errUsage, *maxZoom)
	}
	store, err := bolt.OpenReadOnly(*dbPath, lockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := os.MkdirAll(pos[0], 0o755); err != nil {
		return err
	}
	srv, err := server.New(store, server.Config{BaseURL: *baseURL, Assets: m.Assets})
	if err != nil {
		return err
	}
	n, err := srv.ExportSite(ctx, pos[0], server.SiteOptions{MaxZoom: *maxZoom})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote %d files to %s (content types in _headers and content-types.json)\n", n, pos[0])
	return nil
}
