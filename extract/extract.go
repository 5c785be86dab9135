package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/kantamig/kantamig/internal/registry"
)

// Record is one source record: one CSV line, one sheet row, one XML element.
type Record struct {
	Fields  map[string]string
	Locator string
	// Position is the record's place in its source, 1 for the first: a key
	// for a source without an id column, the same on every read of the same
	// input. Open sets it, for every kind.
	Position int
}

// Get returns a field's value and whether the source has such a field.
func (r Record) Get(name string) (string, bool) {
	v, ok := r.Fields[name]
	return v, ok
}

// Source yields records one at a time.
type Source interface {
	// Next returns the next record, or io.EOF after the last one. The
	// record is the caller's: a later Next does not change it (its Fields
	// map is its own), so that records can be staged while the next ones
	// are read. Next is called from one goroutine at a time.
	Next(ctx context.Context) (Record, error)
	// Columns lists the field names the source has (its header), so that a
	// mapping can be checked against the source before a run.
	Columns() []string
	Close() error
}

// Spec says where a source is and how to read it. It is filled from the
// mapping file's sources section; each kind reads the options it declares.
type Spec struct {
	Kind string // a registered kind: csv, xlsx, xml, mysql, mssql, ...
	Name string // the source's name in the mapping file
	// Options holds every scalar option of the source block as text, by its
	// YAML name: a kind added later reads its own options here; the fields
	// below are the ones the built-in kinds share.
	Options   map[string]string
	File      string // path, already resolved relative to the mapping file
	Delimiter string // csv: one character, default ","
	Encoding  string // csv: utf-8 (default), windows-1252, iso-8859-1, iso-8859-15
	NoHeader  bool   // csv: no header row; fields are named 1, 2, 3, ...
	Sheet     string // xlsx: sheet name, default the first sheet
	HeaderRow int    // xlsx: 1-based row of the header, default 1
	Record    string // xml: element path of one record, e.g. /export/documents/document
	// OtherRecords, for xml, are the record paths other sources read from
	// the same file (a hierarchical export: clients, their periods, their
	// cases, the cases' entries): an element there is theirs, not a
	// misplaced record of this source.
	OtherRecords []string

	// Databases (mysql, mssql).
	DSNEnv     string            // the environment variable holding the connection string
	Query      string            // a SELECT; :cutoff in it is bound to the cut-off date
	Table      string            // or a table,
	Columns    []string          // its columns (default all)
	Where      string            // and a condition
	KeyColumns []string          // the entity's key, for locators and ordering
	Label      string            // how locators and errors name the source
	Cutoff     time.Time         // bound to :cutoff
	Timezone   *time.Location    // of the source's date-time values
	Encodings  map[string]string // legacy encodings of binary columns holding text
}

// Kind is one kind of source.
//
// How to add a source kind (as a package of its own, or a file here):
//
//  1. Implement Source. Stream: memory must not grow with the size of the
//     source. Next returns io.EOF after the last record and only then; a
//     broken input (truncated file, lost connection) is an error, never an
//     early end.
//  2. Give every record a non-empty Locator a person can open (file and
//     line, sheet and row, table and key) that is the same on every read of
//     the same input, and fields as read, as strings: nothing is
//     interpreted here.
//  3. Bytes outside the declared encoding are handed on as they are, for the
//     mapping to reject the record that carries them, never replaced.
//  4. Stop when the context is done: Next returns the context's error.
//  5. Declare the mapping options the kind reads (Options, by their YAML
//     names) and check their values in Check: the mapping decoder adds the
//     file:line:column of the option each Problem names.
//  6. Register the kind in an init function (Register) and list its package
//     in cmd/kantamig/backends.go if it is a package of its own.
//  7. Let a mapping be checked against the source: Source.Columns gives a
//     header, or set SampledColumns if it gives the fields seen so far; set
//     Columns if the source can say its fields without being read (a query).
//  8. Pass the conformance suite: extracttest.Run(t, ...) in its tests.
type Kind struct {
	Name string
	// File says the kind reads a file, named by the file option (resolved
	// relative to the mapping file, which checks that it exists).
	File bool
	// Options are the mapping options the kind takes, besides kind (and
	// file for a file kind); the mapping refuses any other.
	Options []string
	// Check returns what is wrong with a spec's options, before any source
	// is opened.
	Check func(Spec) []Problem
	// Open opens a source for reading.
	Open func(Spec) (Source, error)
	// Columns, if set, lists the field names of a source without reading
	// its records (a database describes its query). Nil means Probe opens
	// the source, reads its first records and asks Source.Columns.
	Columns func(ctx context.Context, spec Spec) ([]string, error)
	// SampledColumns says that Source.Columns knows only the fields of the
	// records read so far (an XML element's children vary), not a header.
	SampledColumns bool
}

// Problem is something wrong with a source's options.
type Problem struct {
	Option  string // the option's YAML name, for its position; "" for the source as a whole
	Message string
	Hint    string // what to write instead
}

var kinds = registry.New[Kind]("source kind")

// Register makes a source kind known. It panics on a second registration.
func Register(k Kind) { kinds.Register(k.Name, k) }

// Unregister removes a kind a test registered.
func Unregister(name string) { kinds.Unregister(name) }

// Lookup returns a registered kind.
func Lookup(name string) (Kind, bool) { return kinds.Lookup(name) }

// Kinds lists the registered kinds.
func Kinds() []string { return kinds.Names() }

// ErrUnknownKind is returned by Open for a kind it does not know.
var ErrUnknownKind = errors.New("unknown source kind")

// ErrNoHeader is a sheet that ends before its header row: an empty sheet.
var ErrNoHeader = errors.New("the sheet is empty there")

// Open opens a source for reading.
func Open(spec Spec) (Source, error) {
	k, ok := Lookup(spec.Kind)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, spec.Kind, strings.Join(Kinds(), ", "))
	}
	src, err := k.Open(spec)
	if err != nil {
		return nil, err
	}
	return &positioned{Source: src}, nil
}

// positioned numbers the records of a source.
type positioned struct {
	Source
	n int
}

// Counter is a source that can count its records through another path than
// its reader: a SQL COUNT(*) over the same query, the rows of a sheet in the
// workbook's XML, a streaming count of an XML file's record elements, the
// records of a CSV file by a scanner of its own. The ledger compares the
// count with the records read, so a reader that loses or invents records
// is caught. A count that could follow the reader's mistakes is no count:
// each kind's counter is written apart from its reader.
type Counter interface {
	// CountRecords returns how many records the source holds, counted
	// again from the start, and how (for the report: "SELECT COUNT(*)").
	CountRecords(ctx context.Context) (n int, how string, err error)
}

// CounterOf returns the counter of a source opened by Open, if its kind
// has one.
func CounterOf(src Source) (Counter, bool) {
	if p, ok := src.(*positioned); ok {
		src = p.Source
	}
	c, ok := src.(Counter)
	return c, ok
}

func (p *positioned) Next(ctx context.Context) (Record, error) {
	rec, err := p.Source.Next(ctx)
	if err == nil {
		p.n++
		rec.Position = p.n
	}
	return rec, err
}

// Probed is what Probe learnt of a source's fields.
type Probed struct {
	Columns []string
	// Sampled means the columns are those of the first Records records
	// only: a field missing from them may still come later.
	Sampled bool
	Records int
}

// Probe lists the field names a source has, so that a mapping can be
// checked against it before a run: the kind's own Columns, the source's
// header, or the fields of its first sample records.
func Probe(ctx context.Context, spec Spec, sample int) (Probed, error) {
	k, ok := Lookup(spec.Kind)
	if !ok {
		return Probed{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, spec.Kind, strings.Join(Kinds(), ", "))
	}
	if k.Columns != nil {
		cols, err := k.Columns(ctx, spec)
		return Probed{Columns: cols}, err
	}
	src, err := k.Open(spec)
	if err != nil {
		return Probed{}, err
	}
	defer src.Close()
	// A source whose fields vary, or that has no header to say them (a CSV
	// without one), is known by its first records.
	p := Probed{Sampled: k.SampledColumns || len(src.Columns()) == 0}
	if p.Sampled {
		for p.Records < sample {
			if _, err := src.Next(ctx); err == io.EOF {
				p.Sampled = false // every record was read: nothing more can come
				break
			} else if err != nil {
				return Probed{}, err
			}
			p.Records++
		}
	}
	p.Columns = src.Columns()
	return p, nil
}

// CheckSpec checks a spec's options with its kind's Check.
func CheckSpec(spec Spec) []Problem {
	k, ok := Lookup(spec.Kind)
	if !ok || k.Check == nil {
		return nil
	}
	return k.Check(spec)
}

// knownEncoding is a Check helper: a problem if name is not one of Encodings.
func knownEncoding(option, what, name string) []Problem {
	if name == "" || slices.Contains(Encodings, strings.ToLower(name)) {
		return nil
	}
	return []Problem{{Option: option, Message: fmt.Sprintf("%sunknown encoding %q", what, name), Hint: "encoding is one of " + strings.Join(Encodings, ", ")}}
}

// Encodings lists the character encodings a CSV source may declare.
var Encodings = []string{"utf-8", "windows-1252", "iso-8859-1", "iso-8859-15"}

// TextEncoding resolves the name of an encoding of Encodings (nil for
// UTF-8), for a mapping's field that reads plain text as bytes.
func TextEncoding(name string) (encoding.Encoding, error) { return textEncoding(name) }

// textEncoding resolves an encoding name. UTF-8 input is passed through as it
// is, invalid bytes included, so that the mapping can reject the records that
// carry them instead of having them silently replaced.
func textEncoding(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(name, "_", "-")) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	case "iso-8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1, nil
	case "iso-8859-15", "latin9":
		return charmap.ISO8859_15, nil
	case "utf-16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	}
	return nil, fmt.Errorf("unknown encoding %q (known: %s)", name, strings.Join(Encodings, ", "))
}

var ioEOF = io.EOF

// ReadAll drains a source; for tests and small sources only.
func ReadAll(ctx context.Context, s Source) ([]Record, error) {
	var out []Record
	for {
		r, err := s.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}
