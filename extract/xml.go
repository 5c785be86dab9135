package extract

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/net/html/charset"
)

type xmlSource struct {
	file    *os.File
	dec     *xml.Decoder
	name    string
	want    []string // record element path, one local name per step
	stack   []string
	index   int
	other   int // elements at the record level under another name
	columns map[string]bool
}

func init() {
	Register(Kind{Name: "xml", File: true, Options: []string{"record"}, Open: openXML, SampledColumns: true,
		Check: func(s Spec) []Problem {
			if s.Record == "" {
				return []Problem{{Message: "an XML source needs record:", Hint: "e.g. record: /export/documents/document"}}
			}
			return nil
		}})
}

func openXML(spec Spec) (Source, error) {
	want := strings.Split(strings.Trim(spec.Record, "/"), "/")
	if spec.Record == "" || len(want) == 0 || want[0] == "" {
		return nil, fmt.Errorf("XML source needs a record path such as /export/documents/document")
	}
	f, err := os.Open(spec.File)
	if err != nil {
		return nil, fmt.Errorf("opening XML source: %w", err)
	}
	dec := xml.NewDecoder(bufio.NewReaderSize(f, 256<<10))
	dec.CharsetReader = charset.NewReaderLabel
	return &xmlSource{file: f, dec: dec, name: filepath.Base(spec.File), want: want, columns: map[string]bool{}}, nil
}

// Columns lists the field names seen so far; an XML export has no header, so
// before the first record this is empty.
func (s *xmlSource) Columns() []string {
	out := make([]string, 0, len(s.columns))
	for c := range s.columns {
		out = append(out, c)
	}
	return out
}

// atRecordLevel reports whether the element just entered stands where a
// record stands (its parents are the record's parents) under another name.
func (s *xmlSource) atRecordLevel() bool {
	if len(s.stack) != len(s.want) {
		return false
	}
	for i := range len(s.want) - 1 {
		if s.stack[i] != s.want[i] {
			return false
		}
	}
	return true
}

// UnexpectedElement is a pseudo-field set on an element that stands at the
// record level of an XML source under another name than the record's (a
// <Asiakirja> among <asiakirja>): it is handed on as a record so that it is
// rejected and counted, never skipped unseen.
const UnexpectedElement = "\x00unexpected-element"

func (s *xmlSource) atRecord() bool {
	if len(s.stack) != len(s.want) {
		return false
	}
	for i := range s.want {
		if s.stack[i] != s.want[i] {
			return false
		}
	}
	return true
}

// Next finds the next element at the record path and flattens it: attributes
// become "@name" fields, child elements become fields named by their path below
// the record ("address/street"), repeated children are joined with a newline.
func (s *xmlSource) Next(ctx context.Context) (Record, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		tok, err := s.dec.Token()
		if err == io.EOF {
			return Record{}, io.EOF
		}
		if err != nil {
			line, col := s.dec.InputPos()
			return Record{}, fmt.Errorf("reading %s at line %d column %d: %w", s.name, line, col, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s.stack = append(s.stack, t.Name.Local)
			if s.atRecord() {
				line, _ := s.dec.InputPos()
				s.index++
				fields, err := s.readRecord(t)
				s.stack = s.stack[:len(s.stack)-1]
				if err != nil {
					return Record{}, err
				}
				loc := fmt.Sprintf("%s:/%s[%d] (line %d)", s.name, strings.Join(s.want, "/"), s.index, line)
				return Record{Fields: fields, Locator: loc}, nil
			}
			if s.atRecordLevel() {
				line, _ := s.dec.InputPos()
				s.other++
				fields, err := s.readRecord(t)
				s.stack = s.stack[:len(s.stack)-1]
				if err != nil {
					return Record{}, err
				}
				fields[UnexpectedElement] = t.Name.Local
				path := strings.Join(append(slices.Clone(s.want[:len(s.want)-1]), t.Name.Local), "/")
				loc := fmt.Sprintf("%s:/%s (line %d)", s.name, path, line)
				return Record{Fields: fields, Locator: loc}, nil
			}
		case xml.EndElement:
			s.stack = s.stack[:len(s.stack)-1]
		}
	}
}

func (s *xmlSource) readRecord(start xml.StartElement) (map[string]string, error) {
	fields := map[string]string{}
	put := func(name, value string) {
		s.columns[name] = true
		if old, ok := fields[name]; ok {
			fields[name] = old + "\n" + value
			return
		}
		fields[name] = value
	}
	for _, a := range start.Attr {
		put("@"+a.Name.Local, a.Value)
	}
	var path []string
	// text[i] collects the character data of the element at depth i (0 is the
	// record itself); parent[i] says whether it had child elements.
	text := [][]byte{nil}
	parent := []bool{false}
	for {
		tok, err := s.dec.Token()
		if err != nil {
			line, col := s.dec.InputPos()
			return nil, fmt.Errorf("reading %s record %d at line %d column %d: %w", s.name, s.index, line, col, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent[len(parent)-1] = true
			path = append(path, t.Name.Local)
			text = append(text, nil)
			parent = append(parent, false)
			prefix := strings.Join(path, "/")
			for _, a := range t.Attr {
				put(prefix+"/@"+a.Name.Local, a.Value)
			}
		case xml.CharData:
			text[len(text)-1] = append(text[len(text)-1], t...)
		case xml.EndElement:
			v := string(text[len(text)-1])
			hadChildren := parent[len(parent)-1]
			if len(path) == 0 {
				if v = strings.TrimSpace(v); v != "" {
					put(".", v)
				}
				return fields, nil
			}
			// An element that only holds other elements has no value of its own.
			if !hadChildren || strings.TrimSpace(v) != "" {
				put(strings.Join(path, "/"), v)
			}
			path = path[:len(path)-1]
			text = text[:len(text)-1]
			parent = parent[:len(parent)-1]
		}
	}
}

func (s *xmlSource) Close() error { return s.file.Close() }
