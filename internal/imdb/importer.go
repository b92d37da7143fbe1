package imdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// DefaultBatchSize is how many rows go into one transaction by default:
// large enough that commits cost little, small enough that an interrupt
// waits for little and memory stays flat.
const DefaultBatchSize = 5000

// Options tune an import. The zero value imports every file found, with
// no checkpoints and no output.
type Options struct {
	// BatchSize is the number of items written per Sink call (transaction).
	BatchSize int
	// Tables limits the import to these tables (see Tables); empty is all
	// the files present. A named table whose file is missing is an error.
	Tables []string
	// CheckpointDir, when set, holds a checkpoint per file (see Resume).
	CheckpointDir string
	// Resume continues each file after its last committed batch, and skips
	// files imported to their end, as recorded in CheckpointDir. A file
	// that changed since its checkpoint is imported from the start.
	Resume bool
	// Log receives progress, bad rows and notices (the operator's stderr).
	Log io.Writer
	// TTY redraws one progress line in place (Log is a terminal); otherwise
	// a plain line is printed every ProgressEvery (default 10s). A negative
	// ProgressEvery shows no progress (bad rows and notices still print).
	TTY           bool
	ProgressEvery time.Duration
	// MaxBadShown caps the bad rows printed (default 20); all are counted.
	// Negative prints none.
	MaxBadShown int
}

// ErrInterrupted is returned when the context was canceled: the batches in
// hand were written, the checkpoints record them, and a run with Resume
// goes on from there.
var ErrInterrupted = errors.New("import interrupted")

// FileError is a dataset file that could not be read to its end. Rows
// before Line were imported.
type FileError struct {
	File string
	Line int64 // last line read; 0 when the file could not be opened
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: after line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Truncated reports whether the file is a gzip file cut short.
func (e *FileError) Truncated() bool { return errors.Is(e.Err, ErrTruncated) }

// Status says how far a file got.
type Status string

// The statuses of a file in the summary.
const (
	StatusDone        Status = "done"
	StatusMissing     Status = "missing"      // not in the directory
	StatusAlreadyDone Status = "already done" // imported to its end by an earlier run (Resume)
	StatusInterrupted Status = "interrupted"
	StatusFailed      Status = "failed" // see Err
	StatusNotReached  Status = "not reached"
)

// FileStats is what happened to one dataset file.
type FileStats struct {
	Table   string
	File    string // the file name, "" when missing
	Status  Status
	Err     error
	Read    int64 // data rows read (by this run; a resumed file counts from where it resumed)
	Written int64 // rows written to the sink
	Bad     int64 // rows reported and skipped
	Elapsed time.Duration
}

// Summary is the outcome of an import.
type Summary struct {
	Files   []FileStats
	Elapsed time.Duration
}

// Totals adds the figures of every file.
func (s Summary) Totals() (read, written, bad int64) {
	for _, f := range s.Files {
		read, written, bad = read+f.Read, written+f.Written, bad+f.Bad
	}
	return read, written, bad
}

// Print writes the summary as a table.
func (s Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "%-17s %-13s %12s %12s %9s %10s %10s\n", "file", "status", "read", "written", "bad", "elapsed", "rows/s")
	for _, f := range s.Files {
		fmt.Fprintf(w, "%-17s %-13s %12s %12s %9s %10s %10s\n", f.Table, f.Status, thousands(f.Read), thousands(f.Written),
			thousands(f.Bad), f.Elapsed.Round(time.Millisecond), thousands(rate(f.Read, f.Elapsed)))
	}
	r, wr, b := s.Totals()
	fmt.Fprintf(w, "%-17s %-13s %12s %12s %9s %10s %10s\n", "total", "", thousands(r), thousands(wr), thousands(b),
		s.Elapsed.Round(time.Millisecond), thousands(rate(r, s.Elapsed)))
}

func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

// Import loads the dataset files found in fsys into sink. It goes on past
// bad rows and past a file it cannot read; it stops at a sink error (the
// store is failing) and at ctx's end (ErrInterrupted, after writing the
// batches in hand). The error is errs.Invalid when the files asked for are
// not there (nothing was written), ErrInterrupted, the sink's error, or
// one *FileError per unreadable file (joined).
func Import(ctx context.Context, fsys fs.FS, sink Sink, opt Options) (Summary, error) {
	start := time.Now()
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.MaxBadShown == 0 {
		opt.MaxBadShown = 20
	}
	files, err := findFiles(fsys, opt.Tables)
	if err != nil {
		return Summary{}, err
	}
	if opt.CheckpointDir != "" {
		if err := os.MkdirAll(opt.CheckpointDir, 0o750); err != nil {
			return Summary{}, fmt.Errorf("checkpoint directory: %w", err)
		}
	}
	im := &importer{fsys: fsys, sink: sink, opt: opt, con: newConsole(opt.Log, opt.TTY, opt.ProgressEvery)}
	defer im.con.close()

	var sum Summary
	var fileErrs []error
	var stop error
	for _, f := range files {
		st := FileStats{Table: f.table, File: f.file}
		switch {
		case stop != nil:
			st.Status = StatusNotReached
		case f.file == "":
			st.Status = StatusMissing
		default:
			err := im.loadFile(ctx, f.table, f.file, &st)
			var fe *FileError
			switch {
			case err == nil:
			case errors.As(err, &fe):
				st.Status, st.Err = StatusFailed, err
				fileErrs = append(fileErrs, err)
				im.con.printf("%v", err)
			case errors.Is(err, ErrInterrupted):
				st.Status = StatusInterrupted
				stop = err
			default:
				st.Status, st.Err = StatusFailed, err
				stop = err
			}
			if st.Status == StatusDone || st.Status == StatusInterrupted {
				im.con.printf("%-16s %s: %s rows in %s (%s rows/s), %s bad", f.table, st.Status, thousands(st.Read),
					st.Elapsed.Round(time.Millisecond), thousands(rate(st.Read, st.Elapsed)), thousands(st.Bad))
			}
		}
		sum.Files = append(sum.Files, st)
	}
	// Whatever was written is made searchable, even after an interrupt.
	if err := sink.Finish(context.WithoutCancel(ctx)); err != nil && stop == nil {
		stop = fmt.Errorf("finish import: %w", err)
	}
	sum.Elapsed = time.Since(start)
	if stop != nil {
		return sum, stop
	}
	return sum, errors.Join(fileErrs...)
}

// Check reports, as Import would before writing anything, whether fsys
// holds the files of the tables asked for (empty: any dataset file).
func Check(fsys fs.FS, tables []string) error {
	_, err := findFiles(fsys, tables)
	return err
}

type foundFile struct{ table, file string }

// findFiles names the file of each table to load, in load order; file is
// "" for a table whose file is absent.
func findFiles(fsys fs.FS, want []string) ([]foundFile, error) {
	for _, t := range want {
		if !slices.Contains(Tables, t) {
			return nil, errs.Invalid("--files", "unknown file %q; the files are %s", t, strings.Join(Tables, ", "))
		}
	}
	var out []foundFile
	found := false
	for _, t := range Tables {
		if len(want) > 0 && !slices.Contains(want, t) {
			continue
		}
		f := foundFile{table: t}
		for _, name := range []string{t + ".tsv.gz", t + ".tsv"} {
			if info, err := fs.Stat(fsys, name); err == nil && info.Mode().IsRegular() {
				f.file = name
				found = true
				break
			}
		}
		if f.file == "" && len(want) > 0 {
			return nil, errs.Invalid("--files", "%s: neither %s.tsv.gz nor %s.tsv is in the directory", t, t, t)
		}
		out = append(out, f)
	}
	if !found {
		return nil, errs.Invalid("--dir", "no IMDb dataset files in the directory (looked for %s, as .tsv.gz or .tsv)", strings.Join(Tables, ", "))
	}
	return out, nil
}

// importer is one run of Import.
type importer struct {
	fsys fs.FS
	sink Sink
	opt  Options
	con  *console
	// shown counts bad rows printed, across files.
	shown atomic.Int64
}

// loader is the state of one file being loaded, shared by its reading
// goroutine and its writing one.
type loader struct {
	im    *importer
	table string
	file  string
	r     *tsvReader
	idx   []int // positions of the table's columns
	prog  *fileProgress
	cp    *checkpoint // nil without checkpoints
	bad   atomic.Int64
	// written is updated by the writer only.
	written int64
}

func (im *importer) loadFile(ctx context.Context, table, file string, st *FileStats) (err error) {
	start := time.Now()
	l := &loader{im: im, table: table, file: file}
	defer func() {
		st.Elapsed = time.Since(start)
		st.Bad = l.bad.Load()
		st.Written = l.written
		if l.prog != nil {
			st.Read = l.prog.read.Load()
		}
		switch {
		case errors.Is(err, errSkip):
			st.Status, err = StatusAlreadyDone, nil
		case err == nil:
			st.Status = StatusDone
		}
	}()

	f, err := im.fsys.Open(file)
	if err != nil {
		return &FileError{File: file, Err: err}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return &FileError{File: file, Err: err}
	}

	var prev *checkpoint
	if im.opt.CheckpointDir != "" {
		if prev, err = loadCheckpoint(im.opt.CheckpointDir, table); err != nil {
			return err
		}
		l.cp = &checkpoint{File: file, Size: info.Size(), ModTime: info.ModTime()}
	}
	if im.opt.Resume && prev.matches(file, info) && prev.Done {
		im.con.printf("%-16s already imported to its end (checkpoint); skipped", table)
		return errSkip
	}

	r, err := newTSVReader(f, strings.HasSuffix(file, ".gz"))
	if err != nil {
		return &FileError{File: file, Err: err}
	}
	l.r = r
	if err := r.readHeader(); err != nil {
		return &FileError{File: file, Line: r.line, Err: err}
	}
	spec := tables[table]
	if l.idx, err = r.columns(spec.cols()); err != nil {
		return &FileError{File: file, Line: 1, Err: err}
	}
	if im.opt.Resume && prev != nil && prev.Line > 1 {
		if prev.matches(file, info) {
			seeker, _ := f.(io.Seeker)
			if err := r.skipTo(prev.Offset, prev.Line, seeker); err != nil {
				return &FileError{File: file, Line: r.line, Err: fmt.Errorf("resume at line %d: %w", prev.Line, err)}
			}
			im.con.printf("%-16s resuming after line %s (checkpoint)", table, thousands(prev.Line))
		} else {
			im.con.printf("%-16s changed since its checkpoint; importing it from the start", table)
		}
	}
	if l.cp != nil {
		l.cp.Line, l.cp.Offset = r.line, r.offset
	}
	l.prog = &fileProgress{table: table, size: info.Size(), raw: &r.raw.n, start: start}
	im.con.cur.Store(l.prog)
	defer im.con.cur.Store(nil)

	if err := spec.load(ctx, l); err != nil {
		return err
	}
	if l.cp != nil {
		l.cp.Done = true
		if err := l.cp.save(im.opt.CheckpointDir, table); err != nil {
			return err
		}
	}
	return nil
}

// errSkip ends a file that needs no work; it is not an error to report.
var errSkip = errors.New("skipped")

// reportBad counts a bad row and prints it while under the cap.
func (l *loader) reportBad(line int64, err error) {
	l.bad.Add(1)
	limit := int64(l.im.opt.MaxBadShown)
	if n := l.im.shown.Add(1); n <= limit {
		l.im.con.printf("%s:%d: %v", l.file, line, err)
		if n == limit {
			l.im.con.printf("(more bad rows are counted but not shown)")
		}
	}
}

// batch is a run of items ready to write, and where the file stands after it.
type batch[T any] struct {
	items  []T
	rows   int64 // good rows the items came from
	line   int64
	offset int64
}

// load reads the file in one goroutine and writes batches in others, so
// that parsing overlaps the database's work: one batch at a time, or up to
// the sink's Writers at once. Batches complete in file order: the
// checkpoint and the count move past a batch once it and every batch
// before it are written. A canceled ctx stops the reading at a row
// boundary; what was read is still written (with a context that is not
// canceled) and checkpointed.
func (s *spec[T]) load(ctx context.Context, l *loader) error {
	size := l.im.opt.BatchSize
	writers := 1
	if cs, ok := l.im.sink.(ConcurrentSink); ok {
		writers = max(1, cs.Writers())
	}
	// Read ahead: one batch here, one in the dispatcher's hand (below) and
	// the one the reader fills, beside those being written.
	ch := make(chan batch[T], 1)
	quit := make(chan struct{}) // a write failed: stop reading
	var readErr error
	go func() {
		defer close(ch)
		readErr = s.read(ctx, l, size, ch, quit)
	}()

	// The dispatcher starts a write per batch and queues it in order; the
	// queue's capacity bounds the writes in flight to writers.
	type pending struct {
		b    batch[T]
		done chan error
	}
	queue := make(chan pending, writers-1)
	var failed atomic.Bool
	wctx := context.WithoutCancel(ctx)
	go func() {
		defer close(queue)
		for b := range ch {
			p := pending{b: b, done: make(chan error, 1)}
			queue <- p
			if failed.Load() {
				p.done <- nil // not written: the load has failed
				continue
			}
			go func() {
				items := b.items
				if s.tidy != nil {
					items = s.tidy(items)
				}
				var err error
				if len(items) > 0 {
					err = s.write(wctx, l.im.sink, items)
				}
				p.done <- err
			}()
		}
	}()

	var writeErr error
	fail := func(err error) {
		writeErr = err
		failed.Store(true)
		close(quit)
	}
	for p := range queue {
		err := <-p.done
		if writeErr != nil {
			continue
		}
		if err != nil {
			fail(fmt.Errorf("write %s (lines up to %d): %w", l.table, p.b.line, err))
			continue
		}
		l.written += p.b.rows
		if l.cp != nil {
			l.cp.Line, l.cp.Offset = p.b.line, p.b.offset
			if err := l.cp.save(l.im.opt.CheckpointDir, l.table); err != nil {
				fail(err)
			}
		}
	}
	if writeErr != nil {
		return writeErr
	}
	return readErr
}

// read parses rows into batches and sends them on ch.
func (s *spec[T]) read(ctx context.Context, l *loader, size int, ch chan<- batch[T], quit <-chan struct{}) error {
	r := l.r
	want := len(r.header)
	f := make([][]byte, len(l.idx))
	b := batch[T]{items: make([]T, 0, size)}
	send := func(line, offset int64) bool {
		b.line, b.offset = line, offset
		select {
		case ch <- b:
			b = batch[T]{items: make([]T, 0, size)}
			return true
		case <-quit:
			return false
		}
	}
	// A full batch of a grouped table waits for the first row of the next
	// title, so that a title's rows are merged in one batch whatever the
	// batch size (the files are sorted by title).
	var group []byte
	var err error
	for n := 0; ; n++ {
		if n&255 == 0 && ctx.Err() != nil {
			err = ErrInterrupted
			break
		}
		prevLine, prevOffset := r.line, r.offset
		line, lerr := r.next()
		if lerr == io.EOF {
			break
		}
		if lerr == errLongLine {
			l.prog.read.Add(1)
			l.reportBad(r.line, lerr)
			continue
		}
		if lerr != nil {
			err = &FileError{File: l.file, Line: r.line, Err: lerr}
			break
		}
		l.prog.read.Add(1)
		fields := r.split(line)
		if len(fields) != want {
			l.reportBad(r.line, fmt.Errorf("%d fields, want %d (tab-separated)", len(fields), want))
			continue
		}
		for i, j := range l.idx {
			f[i] = fields[j]
		}
		if s.grouped && len(b.items) >= size && !bytes.Equal(group, f[0]) {
			if !send(prevLine, prevOffset) {
				return nil
			}
		}
		before := len(b.items)
		var perr error
		if b.items, perr = s.parse(f, b.items); perr != nil {
			b.items = b.items[:before]
			l.reportBad(r.line, perr)
			continue
		}
		b.rows++
		if s.grouped {
			group = append(group[:0], f[0]...)
		} else if len(b.items) >= size && !send(r.line, r.offset) {
			return nil
		}
	}
	// The rows read before the end, an interrupt or damage are written
	// (and the checkpoint moves past trailing bad rows).
	send(r.line, r.offset)
	return err
}
