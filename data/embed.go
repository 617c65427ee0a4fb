// Package data embeds the bundled dataset (see README.md in this folder), so
// a fresh mapserver serves it with no files beside the binary.
package data

import (
	"embed"
	"io/fs"
)

//go:embed sources layers
var files embed.FS

// FS returns the dataset's files: sources/ and layers/.
func FS() fs.FS { return files }
