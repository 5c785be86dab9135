package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

type csvSource struct {
	file   *os.File
	reader *csv.Reader
	name   string
	header []string
	spec   Spec
	widest int // without a header: the most fields a record has had
}

func init() {
	Register(Kind{Name: "csv", File: true, Options: []string{"delimiter", "encoding", "no_header"}, Open: openCSV,
		Check: func(s Spec) []Problem {
			p := knownEncoding("encoding", "", s.Encoding)
			if s.Delimiter != "" && utf8.RuneCountInString(s.Delimiter) != 1 {
				p = append(p, Problem{Option: "delimiter", Message: fmt.Sprintf("delimiter %q is not one character", s.Delimiter), Hint: `e.g. delimiter: ";"`})
			}
			return p
		}})
}

func openCSV(spec Spec) (Source, error) {
	f, err := os.Open(spec.File)
	if err != nil {
		return nil, fmt.Errorf("opening CSV source: %w", err)
	}
	enc, err := textEncoding(spec.Encoding)
	if err != nil {
		f.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(f, 256<<10)
	var r io.Reader = br
	if enc != nil {
		if _, singleByte := enc.(*charmap.Charmap); singleByte {
			if err := notUTF8(br, spec); err != nil {
				f.Close()
				return nil, err
			}
		}
		r = enc.NewDecoder().Reader(r)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = false
	if spec.Delimiter != "" {
		d, size := utf8.DecodeRuneInString(spec.Delimiter)
		if size != len(spec.Delimiter) {
			f.Close()
			return nil, fmt.Errorf("CSV delimiter must be one character, got %q", spec.Delimiter)
		}
		cr.Comma = d
	}
	s := &csvSource{file: f, reader: cr, name: filepath.Base(spec.File), spec: spec}
	if !spec.NoHeader {
		h, err := cr.Read()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading CSV header of %s: %w", s.name, err)
		}
		s.header = make([]string, len(h))
		for i, name := range h {
			if i == 0 {
				name = trimBOM(name)
			}
			s.header[i] = name
		}
	}
	return s, nil
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\xef\xbb\xbf" {
		return s[3:]
	}
	return s
}

// Columns is the header; without one, the positions (1, 2, ...) of the
// widest record read so far.
func (s *csvSource) Columns() []string {
	if s.header != nil {
		return s.header
	}
	out := make([]string, s.widest)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}

func (s *csvSource) Next(ctx context.Context) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	rec, err := s.reader.Read()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		// A quoting error stops the source: after a stray or unclosed quote
		// the record boundaries are unknown (the rest of the file may be one
		// field), so no reader can resynchronise safely, and guessing would
		// lose or merge records. A line with the wrong number of fields is
		// different: it is read, and the mapping rejects it (FieldCountProblem).
		return Record{}, fmt.Errorf("reading %s: %w; fix the quoting at that place in the export (a field with a quote, delimiter or line break must be enclosed in quotes, its quotes doubled) and run again", s.name, err)
	}
	line, _ := s.reader.FieldPos(0)
	s.widest = max(s.widest, len(rec))
	fields := make(map[string]string, len(rec))
	for i, v := range rec {
		name := strconv.Itoa(i + 1)
		if i < len(s.header) {
			name = s.header[i]
		}
		fields[name] = v
	}
	if s.header != nil && len(rec) != len(s.header) {
		fields[FieldCountProblem] = fmt.Sprintf("line has %d fields, header has %d", len(rec), len(s.header))
	}
	return Record{Fields: fields, Locator: fmt.Sprintf("%s:%d", s.name, line)}, nil
}

// FieldCountProblem is a pseudo-field set when a CSV line has a different
// number of fields than its header; the mapping rejects such records.
const FieldCountProblem = "\x00field-count"

func (s *csvSource) Close() error { return s.file.Close() }

// notUTF8 refuses a file declared in a single-byte encoding whose bytes are
// UTF-8: read as declared, every ä would become "Ã¤", silently. It looks at
// the file's first 256 KiB: if they hold non-ASCII bytes and all of them
// form UTF-8 sequences, the file is UTF-8 (text in windows-1252 or ISO 8859
// with Finnish letters is almost never valid UTF-8: an ä is one byte, E4,
// which UTF-8 never has alone).
func notUTF8(br *bufio.Reader, spec Spec) error {
	head, _ := br.Peek(br.Size())
	first := -1
	for i, b := range head {
		if b >= 0x80 {
			first = i
			break
		}
	}
	if first < 0 {
		return nil // ASCII so far: nothing to tell the encodings apart by
	}
	valid := head
	if len(head) == br.Size() { // the peek's end may cut the last letter
		for cut := 0; cut < utf8.UTFMax-1 && len(valid) > 0 && !utf8.Valid(valid); cut++ {
			valid = valid[:len(valid)-1]
		}
	}
	if !utf8.Valid(valid) {
		return nil
	}
	r, _ := utf8.DecodeRune(head[first:])
	line := 1 + bytes.Count(head[:first], []byte("\n"))
	return fmt.Errorf("%s is declared encoding: %s, but its bytes are UTF-8 (the first letter outside ASCII, %q on line %d, is written as UTF-8): read as %s every such letter would come out as two (\"ä\" as \"Ã¤\"). Remove encoding: from the source (UTF-8 is the default), or export the file again in %s",
		filepath.Base(spec.File), spec.Encoding, r, line, spec.Encoding, spec.Encoding)
}
