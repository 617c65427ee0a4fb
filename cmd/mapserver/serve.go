package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/edit"
	"github.com/citemap/citemap/server"
)

// lockTimeout is how long a command waits for a database another process
// holds before saying so.
const lockTimeout = 2 * time.Second

func (m *Main) serve(ctx context.Context, args []string) error {
	fset := m.flags("serve", "serve [--addr ADDR] [--db FILE] [--base-url URL]")
	addr := fset.String("addr", m.env("MAPSERVER_ADDR", "127.0.0.1:8080"), "address to listen on (env MAPSERVER_ADDR)")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file; created and filled with the bundled data when empty (env MAPSERVER_DB)")
	baseURL := fset.String("base-url", m.env("MAPSERVER_BASE_URL", ""), "public URL that links start with, e.g. https://maps.example.org (env MAPSERVER_BASE_URL); default: each request's host")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, pos)
	}
	logs := newLogWriter(m.Stderr, 200*time.Millisecond)
	defer logs.Close()
	log := slog.New(slog.NewTextHandler(logs, nil))

	store, err := bolt.Open(*dbPath, lockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := m.loadDefault(ctx, store, log); err != nil {
		return err
	}
	// Reads come from the file's memory map: keep the pages mapped into the
	// process within a budget (the page cache keeps the data).
	rctx, stopBound := context.WithCancel(ctx)
	defer stopBound()
	go store.BoundResident(rctx, residentBudget, 100*time.Millisecond)

	ed := store.Editing()
	pub, _ := layers.Store(store).(layers.Publisher)
	svc := edit.New(edit.Config{Store: store, Publisher: pub, Users: ed, Changesets: ed, Logger: log})
	if err := svc.Recover(ctx); err != nil {
		return fmt.Errorf("recover changesets: %w", err)
	}
	ctl, err := listenControl(*dbPath)
	if err != nil {
		return err
	}
	defer os.Remove(socketPath(*dbPath))
	go serveControl(ctx, ctl, svc, log)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv, err := server.New(store, server.Config{BaseURL: *baseURL, Assets: m.Assets, Logger: log, AccessLog: logs, Editor: svc, DownloadDir: *dbPath + ".downloads"})
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", *dbPath)
	logs.Flush() // whoever started us waits for this line
	go func() {
		// Large layers take seconds to index: start now, not at the first query.
		start := time.Now()
		if err := srv.Warm(ctx); err != nil && ctx.Err() == nil {
			log.Warn("warming the layers failed", "err", err)
			return
		}
		log.Info("layers ready", "took", time.Since(start).Round(time.Millisecond))
		// What a first start's import and the warming leave behind is most
		// of the heap (RSS 58-64 MiB right after a first start, 36 MiB
		// seconds later): hand it back now, not when the runtime's
		// scavenger gets to it.
		debug.FreeOSMemory()
	}()
	err = srv.Serve(ctx, ln)
	log.Info("stopped")
	return err
}

// loadDefault fills an empty database with the bundled dataset. A database
// that has data is used as it is.
// residentBudget bounds the database pages mapped into the server
// process (checked ten times a second): with the server's caches
// (server.CacheBudget, 256 MiB at most) and the requests under way, it is
// the process's memory budget. Mapping a page costs dearly on a virtual
// machine, and Linux maps 16 pages around each one a query faults in, so
// a budget that holds the B+tree's branch pages between drops matters: at
// 1M features a bbox query faulted 22 times with 64 MiB, 14 with 128 MiB
// (bench/README.md).
const residentBudget = 128 << 20

func (m *Main) loadDefault(ctx context.Context, store layers.Store, log *slog.Logger) error {
	v, err := store.Version(ctx)
	if err != nil || v > 0 {
		return err
	}
	d, err := layers.ReadDir(m.Dataset, ".")
	if err != nil {
		return fmt.Errorf("read bundled data: %w", err)
	}
	v, err = store.Import(ctx, d.Import(), nil)
	if err != nil {
		return fmt.Errorf("load bundled data: %w", err)
	}
	log.Info("loaded bundled data", "version", v, "layers", len(d.Layers), "sources", len(d.Sources), "passages", len(d.Passages))
	return nil
}
