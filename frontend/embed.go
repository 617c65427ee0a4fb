// Package frontend embeds the built web map (dist/, made by `make build`), so
// the binary serves it with nothing on disk and nothing from the internet.
// Before the first front-end build, a placeholder page stands in, so `go
// build` works without Node.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed placeholder
var placeholder embed.FS

// Assets returns the built files, index.html at the root.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err == nil {
		if _, err := fs.Stat(sub, "index.html"); err == nil {
			return sub
		}
	}
	sub, err = fs.Sub(placeholder, "placeholder")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return sub
}
