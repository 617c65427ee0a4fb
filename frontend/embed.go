// Package frontend embeds the built web map (dist/), so the binary serves it
// with nothing on disk and nothing from the internet.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Assets returns the built files, index.html at the root.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; a missing one fails the build first
	}
	return sub
}
