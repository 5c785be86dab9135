package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Record is one source record: one CSV line, one sheet row, one XML element.
type Record struct {
	Fields  map[string]string
	Locator string
}

// Get returns a field's value and whether the source has such a field.
func (r Record) Get(name string) (string, bool) {
	v, ok := r.Fields[name]
	return v, ok
}

// Source yields records one at a time.
type Source interface {
	// Next returns the next record, or io.EOF after the last one.
	Next(ctx context.Context) (Record, error)
	// Columns lists the field names the source has (its header), so that a
	// mapping can be checked against the source before a run.
	Columns() []string
	Close() error
}

// Spec says where a source is and how to read it. It is filled from the
// mapping file's sources section.
type Spec struct {
	Kind      string // csv, xlsx, xml
	File      string // path, already resolved relative to the mapping file
	Delimiter string // csv: one character, default ","
	Encoding  string // csv: utf-8 (default), windows-1252, iso-8859-1, iso-8859-15
	NoHeader  bool   // csv: no header row; fields are named 1, 2, 3, ...
	Sheet     string // xlsx: sheet name, default the first sheet
	HeaderRow int    // xlsx: 1-based row of the header, default 1
	Record    string // xml: element path of one record, e.g. /export/documents/document

	// Databases (mysql, mssql).
	DSNEnv     string            // the environment variable holding the connection string
	Query      string            // a SELECT in which :cutoff is the bound cut-off date
	Table      string            // or a table,
	Columns    []string          // its columns (default all)
	Where      string            // and a condition using :cutoff
	KeyColumns []string          // the entity's key, for locators and ordering
	Label      string            // how locators and errors name the source
	Cutoff     time.Time         // bound to :cutoff
	Timezone   *time.Location    // of the source's date-time values
	Encodings  map[string]string // legacy encodings of binary columns holding text
}

// Kinds lists the source kinds Open understands.
var Kinds = []string{"csv", "xlsx", "xml", "mysql", "mssql"}

// ErrUnknownKind is returned by Open for a kind it does not know.
var ErrUnknownKind = errors.New("unknown source kind")

// Open opens a source for reading.
func Open(spec Spec) (Source, error) {
	switch spec.Kind {
	case "csv":
		return openCSV(spec)
	case "xlsx":
		return openXLSX(spec)
	case "xml":
		return openXML(spec)
	case "mysql", "mssql":
		return openSQL(spec)
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, spec.Kind, strings.Join(Kinds, ", "))
}

// Encodings lists the character encodings a CSV source may declare.
var Encodings = []string{"utf-8", "windows-1252", "iso-8859-1", "iso-8859-15"}

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
