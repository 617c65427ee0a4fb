package main

import (
	"context"
	"fmt"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

func (m *Main) export(ctx context.Context, args []string) error {
	fset := m.flags("export", "export LAYER [--format geojson] [--db FILE]")
	format := fset.String("format", "geojson", "output format: geojson")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: export takes one layer id, got %d arguments", errUsage, len(pos))
	}
	if *format != "geojson" {
		return fmt.Errorf("%w: --format %q is not supported; use geojson", errUsage, *format)
	}
	store, err := bolt.OpenReadOnly(*dbPath, lockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()
	b, err := layers.EncodeLayer(ctx, store, pos[0])
	if err != nil {
		return err
	}
	_, err = m.Stdout.Write(append(b, '\n'))
	return err
}
