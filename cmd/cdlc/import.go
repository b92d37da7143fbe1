package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// catalogStores are the inventory and actor stores that imports write through.
var catalogStores = app.CatalogStores

// openCatalogSink opens the inventory and actor databases, migrated, as a
// sink for imports. Tests replace it.
var openCatalogSink = func(ctx context.Context, cfg app.Config) (imdb.Sink, io.Closer, error) {
	st := catalogStores
	if st.Titles == nil || st.People == nil {
		return nil, nil, errors.New("this build has no inventory and actor stores to import into")
	}
	s, err := imdb.OpenSQLSink(ctx, cfg.DB, st)
	if err != nil {
		return nil, nil, err
	}
	return s, s, nil
}

func importCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Load catalog data from outside sources",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(importIMDbCmd())
	return cmd
}

func importIMDbCmd() *cobra.Command {
	var (
		dir, checkpoints, progress string
		files                      []string
		batch, maxBad              int
		resume                     bool
	)
	cmd := &cobra.Command{
		Use:   "imdb --dir DIR",
		Short: "Load the IMDb non-commercial dataset files into the catalog",
		Long: `Load the IMDb dataset files found in DIR (title.basics, title.episode, title.akas,
title.ratings, name.basics, title.crew, title.principals; each .tsv or .tsv.gz,
as downloaded from https://datasets.imdbws.com) into the inventory and actor
databases of the loaded configuration.

The files are streamed (memory does not grow with them) and written in batches,
one transaction each. Running the import again updates what is there and never
duplicates it. Malformed rows are reported with file and line, counted and
skipped; they do not fail the run.

Ctrl-C stops after the batch in hand is written; the position of every file is
recorded in --checkpoint-dir, and --resume goes on from there (a file that
changed since is imported from the start).

Exit status: 0 when every file was read to its end; 1 when a file could not be
read to its end (unreadable, wrong header, a gzip file cut short: the rows
before the damage are imported, the other files too), when the import was
interrupted, or when the database failed; 2 for bad flags or a missing
directory (nothing was written).`,
		Args: cobra.NoArgs,
	}
	cmd.SetFlagErrorFunc(flagError)
	flags := addSettingFlags(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "directory holding the dataset files (required)")
	cmd.Flags().IntVar(&batch, "batch", imdb.DefaultBatchSize, "rows written per transaction")
	cmd.Flags().BoolVar(&resume, "resume", false, "go on from the checkpoints of an interrupted import")
	cmd.Flags().StringSliceVar(&files, "files", nil, "files to load, e.g. title.basics,title.ratings (default: every file present)")
	cmd.Flags().StringVar(&checkpoints, "checkpoint-dir", "", "where to record each file's progress (default <data_dir>/import/imdb)")
	cmd.Flags().StringVar(&progress, "progress", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	cmd.Flags().IntVar(&maxBad, "max-bad-shown", 20, "bad rows to print (all are counted)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := flags.load(cmd)
		if err != nil {
			return err
		}
		if dir == "" {
			return usageError("--dir is required: the directory holding the IMDb dataset files")
		}
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return usageError("--dir %s: no such directory", dir)
		}
		if batch < 1 {
			return usageError("--batch must be at least 1, got %d", batch)
		}
		for i, f := range files {
			files[i] = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(f), ".gz"), ".tsv")
		}
		opt := imdb.Options{BatchSize: batch, Tables: files, Resume: resume, CheckpointDir: checkpoints, MaxBadShown: maxBad}
		if opt.CheckpointDir == "" {
			opt.CheckpointDir = filepath.Join(cfg.DataDir, "import", "imdb")
		}
		if maxBad == 0 {
			opt.MaxBadShown = -1
		}
		if err := progressOptions(&opt, progress, cmd.ErrOrStderr()); err != nil {
			return err
		}
		// Check the files before opening (and perhaps creating) databases.
		if err := imdb.Check(os.DirFS(dir), files); err != nil {
			return usageError("%s", oneLine(err))
		}

		sink, closer, err := openCatalogSink(cmd.Context(), cfg)
		if err != nil {
			return fmt.Errorf("import imdb: %w", err)
		}
		defer closer.Close()
		defer imdb.TuneGC()()
		sum, err := imdb.Import(cmd.Context(), os.DirFS(dir), sink, opt)
		if errs.Is(err, errs.KindInvalid) {
			return usageError("%s", oneLine(err))
		}
		sum.Print(cmd.OutOrStdout())
		return importError(err)
	}
	return cmd
}

// importError turns the importer's outcome into the operator's one line.
func importError(err error) error {
	var fe *imdb.FileError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, imdb.ErrInterrupted):
		return errors.New("import interrupted: what was read is written; run the same command with --resume to go on")
	case errors.As(err, &fe):
		n := strings.Count(err.Error(), "\n") + 1
		msg := fmt.Sprintf("%d file(s) could not be read to the end (the rows before the damage and the other files were imported): %s", n,
			strings.ReplaceAll(err.Error(), "\n", "; "))
		if errors.Is(err, imdb.ErrTruncated) {
			msg += "; download the file again and run the import again"
		}
		return errors.New(msg)
	default:
		return fmt.Errorf("import imdb: %w", err)
	}
}

func progressOptions(opt *imdb.Options, mode string, w io.Writer) error {
	opt.Log = w
	switch mode {
	case "auto":
		opt.TTY = isTerminal(w)
	case "bar":
		opt.TTY = true
	case "lines":
	case "none":
		opt.ProgressEvery = -1
	default:
		return usageError("--progress must be auto, bar, lines or none, got %q", mode)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// flagError makes a flag that does not parse a usage error.
func flagError(_ *cobra.Command, err error) error { return &exitError{code: 2, err: err} }

// usageError is a bad flag or argument: exit code 2, one line.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}
