package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/server"
)

func (m *Main) exportSite(ctx context.Context, args []string) error {
	fset := m.flags("export-site", "export-site DIR --base-url URL [--max-zoom N] [--page-size N] [--replace] [--db FILE]")
	maxZoom := fset.Int("max-zoom", 6, "deepest zoom of the tiles (0-16)")
	baseURL := fset.String("base-url", m.env("MAPSERVER_BASE_URL", ""), "public URL the site will be served from, e.g. https://maps.example.org or https://example.org/citemap (env MAPSERVER_BASE_URL; required)")
	pageSize := fset.Int("page-size", 100, "features per exported items page (1-10000)")
	replace := fset.Bool("replace", false, "replace the folder's contents when it is not empty")
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
	if *pageSize < 1 || *pageSize > 10000 {
		return fmt.Errorf("%w: --page-size %d is not within 1..10000", errUsage, *pageSize)
	}
	if *baseURL == "" {
		return fmt.Errorf("%w: export-site needs --base-url, the public address the site will be served from (e.g. https://maps.example.org or https://example.org/citemap): the pages and data link to it", errUsage)
	}
	if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: --base-url %q is not an http(s) address without query or fragment (e.g. https://maps.example.org)", errUsage, *baseURL)
	}
	if *replace {
		// --replace deletes what the folder held: never the database or
		// the folder this command runs in.
		dir, _ := filepath.Abs(pos[0])
		db, _ := filepath.Abs(*dbPath)
		wd, _ := os.Getwd()
		for what, p := range map[string]string{"the database " + *dbPath: db, "the current folder": wd} {
			if rel, err := filepath.Rel(dir, p); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
				return fmt.Errorf("%w: export-site --replace would delete %s, which is inside %s", errUsage, what, pos[0])
			}
		}
	}
	store, err := bolt.OpenReadOnly(*dbPath, lockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := server.New(store, server.Config{BaseURL: *baseURL, Assets: m.Assets})
	if err != nil {
		return err
	}
	n, err := srv.ExportSite(ctx, pos[0], server.SiteOptions{MaxZoom: *maxZoom, PageSize: *pageSize, Replace: *replace})
	if errors.Is(err, server.ErrNotEmpty) {
		return fmt.Errorf("%w: %v; pass --replace to replace its contents", errUsage, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote %d files to %s for %s (content types in _headers and content-types.json)\n", n, pos[0], *baseURL)
	return nil
}
