package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

func (m *Main) check(ctx context.Context, args []string) error {
	fset := m.flags("check", "check [DIR] [--db FILE]")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file to check when no DIR is given (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	var d *layers.Dataset
	var what string
	switch len(pos) {
	case 1:
		what = pos[0]
		d, err = layers.ReadDir(os.DirFS(pos[0]), ".")
		var ps layers.Problems
		if errors.As(err, &ps) {
			return m.report(what, ps)
		}
		if err != nil {
			return err
		}
	case 0:
		what = *dbPath
		store, err := bolt.OpenReadOnly(*dbPath, lockTimeout)
		if err != nil {
			return err
		}
		defer store.Close()
		if err := store.Check(); err != nil {
			return fmt.Errorf("%s: bbolt consistency check failed: %w", *dbPath, err)
		}
		if d, err = layers.Load(ctx, store); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: check takes at most one folder", errUsage)
	}
	ps := layers.Check(d)
	if len(ps.Errors()) > 0 {
		return m.report(what, ps)
	}
	for _, p := range ps { // warnings: an uncited layer is shown, not refused
		fmt.Fprintln(m.Stdout, p.String())
	}
	features, claims, explicit := 0, 0, 0
	for _, l := range d.Layers {
		features += len(d.Features[l.ID])
		for _, f := range d.Features[l.ID] {
			claims += len(f.Claims)
			for _, c := range f.Claims {
				if c.Basis == layers.Explicit {
					explicit++
				}
			}
		}
	}
	fmt.Fprintf(m.Stdout, "%s: ok: %d layers, %d features, %d claims (%d explicit, %d inferred), %d sources, %d passages; every quote at its offsets, every geometry valid and inside the countries it names, every feature of a cited layer backed by an explicit claim\n",
		what, len(d.Layers), features, claims, explicit, claims-explicit, len(d.Sources), len(d.Passages))
	return nil
}

func (m *Main) report(what string, ps layers.Problems) error {
	for _, p := range ps {
		fmt.Fprintln(m.Stdout, p.String())
	}
	return fmt.Errorf("%s: %d problem(s)", what, len(ps.Errors()))
}
