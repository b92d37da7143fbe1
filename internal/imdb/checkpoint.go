package imdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// checkpoint records how far a dataset file was committed, so that an
// interrupted import can go on from there (--resume) rather than from the
// start. It is written after each committed batch; if the process dies
// between a commit and the checkpoint, the resumed run writes that batch
// again, which the upserts make harmless.
type checkpoint struct {
	File    string    `json:"file"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	// Line is the last line committed (the header is line 1) and Offset
	// the (uncompressed) byte offset just after it.
	Line   int64 `json:"line"`
	Offset int64 `json:"offset"`
	// Done marks a file imported to its end.
	Done bool `json:"done"`
}

// matches reports whether the checkpoint was made from this version of the file.
func (c *checkpoint) matches(file string, info fs.FileInfo) bool {
	return c != nil && c.File == file && c.Size == info.Size() && c.ModTime.Equal(info.ModTime())
}

func checkpointPath(dir, table string) string {
	return filepath.Join(dir, table+".checkpoint.json")
}

// loadCheckpoint reads a table's checkpoint; nil when there is none.
func loadCheckpoint(dir, table string) (*checkpoint, error) {
	b, err := os.ReadFile(checkpointPath(dir, table))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", checkpointPath(dir, table), err)
	}
	return &c, nil
}

// save writes the checkpoint atomically (a reader never sees half of it).
func (c *checkpoint) save(dir, table string) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	path := checkpointPath(dir, table)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}
