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
	fset := m.flags("import", "import FILE_OR_DIR [--layer ID] [--split-geometry] [--db FILE]")
	layerID := fset.String("layer", "", "layer id for a single GeoJSON file (default: its `layer.id` member, else its file name)")
	split := fset.Bool("split-geometry", false, "import a single GeoJSON file that mixes geometry types as one layer per type: ID-points, ID-lines, ID-areas")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: import takes one file or folder, got %d arguments", errUsage, len(pos))
	}
	imp, err := openImport(pos[0], *layerID, *split)
	if err != nil {
		return err
	}

	store, err := bolt.Open(*dbPath, handoffTimeout)
	if layers.ErrorCode(err) == layers.ELOCKED {
		// A server holds the database: it imports, and its readers switch
		// to the new version at once.
		abs, aerr := filepath.Abs(pos[0])
		if aerr != nil {
			return aerr
		}
		res, err := callControl(ctx, *dbPath, controlRequest{Op: "import", Path: abs, Layer: *layerID, Split: *split})
		if err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, res.Output)
		return nil
	}
	if err != nil {
		return err
	}
	defer store.Close()

	// A progress bar on a terminal; nothing otherwise.
	n := 0
	progress := func(done int) { n = done }
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("importing features"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
		defer bar.Finish()
		progress = func(done int) { n = done; bar.Set(done) }
	}
	v, err := store.Import(ctx, imp, progress)
	if err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", pos[0], err)
	}
	fmt.Fprintf(m.Stdout, "imported %d layer(s) with %d feature(s), %d source(s), %d passage(s) as data version %d\n",
		len(imp.Layers), n, len(imp.Sources), len(imp.Passages), v)
	return nil
}

// openImport prepares the import of a dataset folder or a single file.
func openImport(name, layerID string, split bool) (*layers.Import, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if layerID != "" || split {
			return nil, fmt.Errorf("%w: --layer and --split-geometry apply to a single GeoJSON file, not a folder", errUsage)
		}
		return layers.OpenImport(os.DirFS(name), ".", "")
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	if split {
		return layers.OpenSplitImport(os.DirFS(filepath.Dir(abs)), filepath.Base(abs), layerID)
	}
	return layers.OpenImport(os.DirFS(filepath.Dir(abs)), filepath.Base(abs), layerID)
}
