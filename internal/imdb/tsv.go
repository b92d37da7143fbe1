package imdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
)

// maxLine bounds one row; a longer line is reported as bad and skipped, so
// a file without newlines cannot make the importer buffer all of it.
const maxLine = 1 << 20

// ErrTruncated is in the error of a gzip file that ends before its end:
// the file was cut short (an interrupted download).
var ErrTruncated = errors.New("truncated gzip file (unexpected end of data)")

// tsvReader reads one IMDb TSV stream, plain or gzip, a line at a time.
type tsvReader struct {
	raw    *countingReader // the file's bytes (compressed when gzip), for progress
	gz     *gzip.Reader    // nil for plain files
	br     *bufio.Reader
	line   int64 // number of the last line read; the header is line 1
	offset int64 // bytes of the (uncompressed) stream consumed through the last line
	header []string
	fields [][]byte
	long   []byte // a line longer than the buffer, assembled
}

func newTSVReader(r io.Reader, gzipped bool) (*tsvReader, error) {
	t := &tsvReader{raw: &countingReader{r: r}}
	var src io.Reader = t.raw
	if gzipped {
		gz, err := gzip.NewReader(t.raw)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, ErrTruncated
			}
			return nil, fmt.Errorf("not a gzip file: %w", err)
		}
		t.gz = gz
		src = gz
	}
	t.br = bufio.NewReaderSize(src, 256<<10)
	return t, nil
}

// readHeader reads the first line: the column names.
func (t *tsvReader) readHeader() error {
	line, err := t.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty file (no header line)")
		}
		return err
	}
	for _, f := range bytes.Split(line, []byte{'\t'}) {
		t.header = append(t.header, string(f))
	}
	return nil
}

// columns returns the positions of the named columns in the header.
func (t *tsvReader) columns(names []string) ([]int, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range t.header {
			if h == n {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("header has no column %q (header: %q); is this the right file?", n, t.header)
		}
	}
	return idx, nil
}

// skipTo moves to a byte offset of the stream recorded by a checkpoint,
// which is the end of line `line`. Plain files seek; gzip streams are
// decompressed and discarded (there is no index to seek with).
func (t *tsvReader) skipTo(offset, line int64, seek io.Seeker) error {
	if offset <= t.offset {
		return nil
	}
	if seek != nil && t.gz == nil {
		if _, err := seek.Seek(offset, io.SeekStart); err != nil {
			return err
		}
		t.br.Reset(t.raw)
		t.raw.n.Store(offset)
	} else if _, err := t.br.Discard(int(offset - t.offset)); err != nil {
		return t.readErr(err)
	}
	t.offset, t.line = offset, line
	return nil
}

// next returns the next line without its newline. The slice is valid until
// the following call. At the end it returns io.EOF; a damaged stream gives
// ErrTruncated or the read error. A last line without a newline counts; a
// partial line before damage does not.
func (t *tsvReader) next() ([]byte, error) {
	t.long = t.long[:0]
	for {
		chunk, err := t.br.ReadSlice('\n')
		switch {
		case err == nil:
			t.line++
			t.offset += int64(len(t.long) + len(chunk))
			if len(t.long) > 0 {
				chunk = append(t.long, chunk...)
				t.long = chunk
			}
			return trimEOL(chunk), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(t.long)+len(chunk) > maxLine {
				// Keep counting bytes but stop keeping them.
				t.offset += int64(len(t.long) + len(chunk))
				t.long = t.long[:0]
				if err := t.skipLine(); err != nil {
					return nil, err
				}
				t.line++
				return nil, errLongLine
			}
			t.long = append(t.long, chunk...)
		case errors.Is(err, io.EOF):
			if len(t.long)+len(chunk) == 0 {
				return nil, io.EOF
			}
			t.line++
			t.offset += int64(len(t.long) + len(chunk))
			chunk = append(t.long, chunk...)
			t.long = chunk
			return trimEOL(chunk), nil
		default:
			return nil, t.readErr(err)
		}
	}
}

var errLongLine = fmt.Errorf("line longer than %d bytes", maxLine)

// skipLine drops the rest of an over-long line.
func (t *tsvReader) skipLine() error {
	for {
		chunk, err := t.br.ReadSlice('\n')
		t.offset += int64(len(chunk))
		switch {
		case err == nil, errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
		default:
			return t.readErr(err)
		}
	}
}

func (t *tsvReader) readErr(err error) error {
	if t.gz != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return fmt.Errorf("corrupt gzip file: %w", err)
	}
	return err
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// split cuts a line at tabs into t.fields (reused between lines).
func (t *tsvReader) split(line []byte) [][]byte {
	f := t.fields[:0]
	for {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			f = append(f, line)
			break
		}
		f = append(f, line[:i])
		line = line[i+1:]
	}
	t.fields = f
	return f
}

// countingReader counts the bytes read through it (read by the progress
// display from another goroutine).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// rowError is a malformed field; the row is reported and skipped.
type rowError struct {
	col string
	msg string
}

func (e *rowError) Error() string {
	if e.col == "" {
		return e.msg
	}
	return e.col + ": " + e.msg
}

func badField(col, format string, args ...any) error {
	return &rowError{col: col, msg: fmt.Sprintf(format, args...)}
}

// isNull reports whether a field is IMDb's null, \N.
func isNull(b []byte) bool { return len(b) == 2 && b[0] == '\\' && b[1] == 'N' }

// str returns a text field; null is "".
func str(b []byte) string {
	if isNull(b) {
		return ""
	}
	return string(b)
}

// requiredStr returns a text field that must be present.
func requiredStr(col string, b []byte) (string, error) {
	if isNull(b) || len(b) == 0 {
		return "", badField(col, "is empty")
	}
	return string(b), nil
}

// integer parses a non-negative decimal integer of at most 9 digits (every
// number IMDb writes fits); null is 0.
func integer(col string, b []byte) (int, error) {
	if isNull(b) {
		return 0, nil
	}
	if len(b) == 0 || len(b) > 9 {
		return 0, badField(col, "want a number, got %q", b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, badField(col, "want a number, got %q", b)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// year parses a four-digit year; null is 0.
func year(col string, b []byte) (int, error) {
	if isNull(b) {
		return 0, nil
	}
	n, err := integer(col, b)
	if len(b) != 4 || err != nil {
		return 0, badField(col, "want a year (YYYY), got %q", b)
	}
	return n, nil
}

// flag parses IMDb's booleans: 0 or 1 (null is false).
func flag(col string, b []byte) (bool, error) {
	switch {
	case isNull(b):
		return false, nil
	case len(b) == 1 && b[0] == '0':
		return false, nil
	case len(b) == 1 && b[0] == '1':
		return true, nil
	}
	return false, badField(col, "want 0 or 1, got %q", b)
}

func decimal(col string, b []byte, lo, hi float64) (float64, error) {
	if isNull(b) {
		return 0, nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || v < lo || v > hi {
		return 0, badField(col, "want a number from %g to %g, got %q", lo, hi, b)
	}
	return v, nil
}

// isID reports whether b is an IMDb id with the given two-letter prefix:
// tt or nm and 7 to 10 digits.
func isID(b []byte, prefix string) bool {
	if len(b) < 9 || len(b) > 12 || b[0] != prefix[0] || b[1] != prefix[1] {
		return false
	}
	for _, c := range b[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// id returns a required IMDb id.
func id(col string, b []byte, prefix string) (string, error) {
	if !isID(b, prefix) {
		return "", badField(col, "want an IMDb id (%s and 7 to 10 digits), got %q", prefix, b)
	}
	return string(b), nil
}

// noStrings is the empty list (JSON [] rather than null); never appended to
// in place, so sharing it is safe.
var noStrings = []string{}

// list splits a comma-separated list; null is the empty list.
func list(b []byte) []string {
	if isNull(b) || len(b) == 0 {
		return noStrings
	}
	out := make([]string, 0, bytes.Count(b, []byte{','})+1)
	for len(b) > 0 {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			out = append(out, string(b[:i]))
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// idList splits a comma-separated list of IMDb ids, each checked.
func idList(col string, b []byte, prefix string) ([]string, error) {
	out := list(b)
	for _, s := range out {
		if !isID([]byte(s), prefix) {
			return nil, badField(col, "want IMDb ids (%s...), got %q", prefix, s)
		}
	}
	return out, nil
}

// akaList splits the "array" fields of title.akas: IMDb separates their
// items with \x02 (and the types with commas in some releases).
func akaList(b []byte, commas bool) []string {
	if isNull(b) || len(b) == 0 {
		return nil
	}
	sep := func(r rune) bool { return r == 0x02 || (commas && r == ',') }
	parts := bytes.FieldsFunc(b, sep)
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = bytes.TrimSpace(p); len(p) > 0 {
			out = append(out, string(p))
		}
	}
	return out
}

// characters parses the characters field of title.principals, a JSON list
// of strings such as ["Vito Corleone"] or ["Himself","Narrator"]; null is
// none.
func characters(col string, b []byte) ([]string, error) {
	if isNull(b) || len(b) == 0 {
		return nil, nil
	}
	if len(b) < 4 || b[0] != '[' || b[1] != '"' || b[len(b)-1] != ']' || b[len(b)-2] != '"' {
		return nil, badField(col, `want a list such as ["Name"], got %q`, b)
	}
	inner := b[2 : len(b)-2]
	var out []string
	for {
		i := bytes.Index(inner, []byte(`","`))
		if i < 0 {
			break
		}
		out = append(out, unescape(inner[:i]))
		inner = inner[i+3:]
	}
	return append(out, unescape(inner)), nil
}

// unescape undoes the JSON escapes IMDb uses in character names (\" and \\).
func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var s []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
		}
		s = append(s, b[i])
	}
	return string(s)
}
