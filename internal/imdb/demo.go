package imdb

import (
	"embed"
	"io/fs"
)

//go:embed demo/*.tsv
var demoFiles embed.FS

// Demo is the bundled demo catalog, in the dataset format, for `cdlc seed
// demo`: well-known films and two series with their main cast and crew
// (see demo/README.md for what is real and what is a placeholder).
func Demo() fs.FS {
	sub, err := fs.Sub(demoFiles, "demo")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
