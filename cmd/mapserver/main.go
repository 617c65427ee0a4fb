// Command mapserver serves citemap's layers and the evidence behind them.
//
//	mapserver serve   [--addr 127.0.0.1:8080] [--db ./mapserver.db]
//	mapserver import  FILE_OR_DIR [--layer ID] [--db ./mapserver.db]
//	mapserver export  LAYER [--format geojson] [--db ./mapserver.db]
//	mapserver check   [DIR] [--db ./mapserver.db]
//	mapserver export-site DIR --base-url URL [--max-zoom 6] [--replace] [--db ./mapserver.db]
//	mapserver user add NAME --role editor|reviewer|admin | user list | user revoke NAME [--db ./mapserver.db]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/citemap/citemap/data"
	"github.com/citemap/citemap/frontend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Dataset: data.FS(), Assets: frontend.Assets(),
	}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program with its outside world made explicit: its streams,
// environment, bundled data and front end are given, not reached for.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Dataset        fs.FS // the bundled data/, loaded into an empty database
	Assets         fs.FS // the built front end
}

const usage = `mapserver serves map layers with the source passages behind every feature.

Usage:
  mapserver serve   [--addr ADDR] [--db FILE]        serve the database (loads the bundled data when empty)
  mapserver import  FILE_OR_DIR [--layer ID] [--db FILE]  load GeoJSON layers and source documents
  mapserver export  LAYER [--format geojson] [--db FILE]  write a layer to standard output
  mapserver check   [DIR] [--db FILE]                verify every invariant of a database or a data folder
  mapserver export-site DIR --base-url URL [--max-zoom N] [--replace] [--db FILE]  write the read side as a static site
  mapserver prune   --before DATE [--keep V,V] [--db FILE]  remove old data versions (never the latest or a kept one)
  mapserver user add NAME --role editor|reviewer|admin [--db FILE]  create a user; prints its token on the last line
  mapserver user list [--db FILE]                  list users
  mapserver user revoke NAME [--db FILE]           stop a user's token and sessions

user and import work while a server holds the database: they hand their work to it.

Run 'mapserver COMMAND --help' for a command's flags.
`

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

// Run runs one subcommand and returns the process's exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = m.serve(ctx, args[1:])
	case "import":
		err = m.importCmd(ctx, args[1:])
	case "export":
		err = m.export(ctx, args[1:])
	case "check":
		err = m.check(ctx, args[1:])
	case "export-site":
		err = m.exportSite(ctx, args[1:])
	case "prune":
		err = m.prune(ctx, args[1:])
	case "user":
		err = m.user(ctx, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(m.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(m.Stderr, "mapserver: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(m.Stderr, "mapserver %s: %v (see 'mapserver %s --help')\n", args[0], err, args[0])
		return 2
	}
	fmt.Fprintf(m.Stderr, "mapserver %s: %v\n", args[0], err)
	return 1
}

// env returns the environment variable name, or def when it is unset.
func (m *Main) env(name, def string) string {
	if m.Getenv != nil {
		if v := m.Getenv(name); v != "" {
			return v
		}
	}
	return def
}

// flags returns a FlagSet for a subcommand that prints its help to Stdout
// and its errors to Stderr.
func (m *Main) flags(name, synopsis string) *flag.FlagSet {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(m.Stderr)
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "Usage: mapserver %s\n\nFlags:\n", synopsis)
		fset.PrintDefaults()
	}
	return fset
}

// parse parses flags wherever they stand among the arguments, and returns
// the positional ones.
func (m *Main) parse(fset *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fset.SetOutput(m.Stdout) // asked-for help is output, not an error
		}
	}
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fset.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
