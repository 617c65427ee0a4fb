package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

func (m *Main) importCmd(ctx context.Context, args []string) error {
	fset := m.flags("import", "import FILE_OR_DIR [--layer ID] [--db FILE]")
	layerID := fset.String("layer", "", "layer id for a single GeoJSON file (default: its `layer.id` member, else its file name)")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: import takes one file or folder, got %d arguments", errUsage, len(pos))
	}
	d, err := readInput(pos[0], *layerID)
	if err != nil {
		return err
	}

	store, err := bolt.Open(*dbPath, lockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()

	var progress func(done, total int)
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("importing"), progressbar.OptionShowCount())
			}
			bar.Set(done)
		}
	}
	v, err := store.Import(ctx, d, progress)
	if err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", pos[0], err)
	}
	n := 0
	for _, l := range d.Layers {
		n += len(d.Features[l.ID])
	}
	fmt.Fprintf(m.Stdout, "imported %d layer(s) with %d feature(s), %d source(s), %d passage(s) as data version %d\n",
		len(d.Layers), n, len(d.Sources), len(d.Passages), v)
	return nil
}

// readInput reads a dataset folder or a single file.
func readInput(name, layerID string) (*layers.Dataset, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if layerID != "" {
			return nil, fmt.Errorf("%w: --layer applies to a single GeoJSON file, not a folder", errUsage)
		}
		return layers.ReadDir(os.DirFS(name), ".")
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	return layers.ReadFile(os.DirFS(filepath.Dir(abs)), filepath.Base(abs), layerID)
}
