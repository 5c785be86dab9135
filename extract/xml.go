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
	spec    Spec
	others  [][]string // spec.OtherRecords, one local name per step
	abs     []string   // scratch: the path of an element inside a record
	// anc holds, for each open element that is not a record (the record's
	// ancestors and their kin), its attributes and the simple child
	// elements seen so far: a record reads them as "../@attr", "../child",
	// "../../@attr" and so on.
	anc []ancestor
}

// ancestor is an open element outside the records.
type ancestor struct {
	attrs    []xml.Attr
	children map[string]string // simple child elements seen so far, by name
	text     []byte            // its own character data, while it has no child elements
	parent   bool              // it has had child elements
}

// maxAncestorText bounds the text kept of an element outside the records: an
// ancestor's simple fields are short (an identity code, a name), and a long
// text there must not be held in memory.
const maxAncestorText = 64 << 10

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
	return &xmlSource{file: f, dec: dec, name: filepath.Base(spec.File), want: want, columns: map[string]bool{}, spec: spec, others: splitPaths(spec.OtherRecords)}, nil
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

// UnexpectedElement is a pseudo-field set on an element of an XML source
// that is not at the record path but looks like a record: one standing at
// the record level under another name than the record's (a <Asiakirja>
// among <asiakirja>; the value is its name), or one named as the records
// standing elsewhere (a <asiakirja> under another parent or at another
// depth; the value is its path, beginning "/"). It is handed on as a record
// so that it is rejected and counted, never skipped unseen.
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
			if n := len(s.anc); n > 0 {
				s.anc[n-1].parent = true
			}
			if s.atRecord() {
				line, _ := s.dec.InputPos()
				s.index++
				fields, err := s.readRecord(t)
				s.stack = s.stack[:len(s.stack)-1]
				if err != nil {
					return Record{}, err
				}
				s.addAncestors(fields)
				loc := fmt.Sprintf("%s:/%s[%d] (line %d)", s.name, strings.Join(s.want, "/"), s.index, line)
				return Record{Fields: fields, Locator: loc}, nil
			}
			if len(s.stack) > maxXMLDepth {
				line, col := s.dec.InputPos()
				return Record{}, fmt.Errorf("reading %s at line %d column %d: elements nest deeper than %d levels; no export of records nests this deep: check that this is the right file", s.name, line, col, maxXMLDepth)
			}
			// An element where records stand under another name (a
			// <Asiakirja> among <asiakirja>), or named as the records
			// but elsewhere (a <asiakirja> under another parent): handed
			// on, marked, so that the mapping rejects it and it counts.
			if misnamed, elsewhere := s.atRecordLevel(), t.Name.Local == s.want[len(s.want)-1]; misnamed || elsewhere {
				if othersRecords(s.stack, s.want, s.others) { // another source's: not this one's to read
					s.stack = s.stack[:len(s.stack)-1]
					if err := s.dec.Skip(); err != nil {
						line, col := s.dec.InputPos()
						return Record{}, fmt.Errorf("reading %s at line %d column %d: %w", s.name, line, col, err)
					}
					continue
				}
				rec, handed, err := s.unexpected(t, misnamed)
				if err != nil || handed {
					return rec, err
				}
				continue
			}
			s.anc = append(s.anc, ancestor{attrs: slices.Clone(t.Attr)})
		case xml.CharData:
			if n := len(s.anc); n > 0 && !s.anc[n-1].parent && len(s.anc[n-1].text) < maxAncestorText {
				s.anc[n-1].text = append(s.anc[n-1].text, t...)
			}
		case xml.EndElement:
			s.stack = s.stack[:len(s.stack)-1]
			if n := len(s.anc); n > 0 {
				done := s.anc[n-1]
				s.anc = s.anc[:n-1]
				if n > 1 && !done.parent {
					up := &s.anc[n-2]
					if up.children == nil {
						up.children = map[string]string{}
					}
					up.children[t.Name.Local] = strings.TrimSpace(string(done.text))
				}
			}
		}
	}
}

// maxXMLDepth bounds how deep elements may nest: the reader keeps a path
// per level, and a file nesting thousands deep is not an export of records.
const maxXMLDepth = 256

// unexpected reads an element that is not at the record path but may be a
// record (see Next) and hands it on marked UnexpectedElement (its name when
// it stands where records stand, its path when it is named as a record
// elsewhere). A simple element (text only) is no record: a field of the
// element enclosing it, e.g. the client's name around the client's
// documents — a misplaced record would have an id or fields of its own.
func (s *xmlSource) unexpected(t xml.StartElement, atLevel bool) (Record, bool, error) {
	line, _ := s.dec.InputPos()
	path := "/" + strings.Join(s.stack, "/")
	fields, err := s.readRecord(t)
	s.stack = s.stack[:len(s.stack)-1]
	if err != nil {
		return Record{}, false, err
	}
	if _, text := fields["."]; valueAttrs(t.Attr) == 0 && (len(fields) == 0 || (len(fields) == 1 && text)) {
		if n := len(s.anc); n > 0 {
			if s.anc[n-1].children == nil {
				s.anc[n-1].children = map[string]string{}
			}
			s.anc[n-1].children[t.Name.Local] = fields["."]
		}
		return Record{}, false, nil
	}
	s.other++
	fields[UnexpectedElement] = t.Name.Local
	if !atLevel {
		fields[UnexpectedElement] = path
	}
	return Record{Fields: fields, Locator: fmt.Sprintf("%s:%s (line %d)", s.name, path, line)}, true, nil
}

// addAncestors gives a record the attributes and simple child elements of
// the elements that enclose it, as far as they precede it in the file:
// "../@hetu" is an attribute of its parent, "../nimi" a child element of its
// parent seen before it, "../../@id" an attribute of its grandparent.
func (s *xmlSource) addAncestors(fields map[string]string) {
	for d := len(s.anc) - 1; d >= 0; d-- {
		prefix := strings.Repeat("../", len(s.anc)-d)
		for _, a := range s.anc[d].attrs {
			if namespaceDecl(a) {
				continue
			}
			s.columns[prefix+"@"+a.Name.Local] = true
			fields[prefix+"@"+a.Name.Local] = a.Value
		}
		for name, v := range s.anc[d].children {
			s.columns[prefix+name] = true
			fields[prefix+name] = v
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
		if !namespaceDecl(a) {
			put("@"+a.Name.Local, a.Value)
		}
	}
	var path, prefixes []string
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
			if len(s.others) > 0 {
				// Another source's records inside this one's (a client's
				// cases in a hierarchical export) are theirs: passed over,
				// not held in this record.
				s.abs = append(append(append(s.abs[:0], s.stack...), path...), t.Name.Local)
				if othersRecords(s.abs, s.want, s.others) {
					if err := s.dec.Skip(); err != nil {
						line, col := s.dec.InputPos()
						return nil, fmt.Errorf("reading %s record %d at line %d column %d: %w", s.name, s.index, line, col, err)
					}
					continue
				}
			}
			if len(s.stack)+len(path) >= maxXMLDepth {
				line, col := s.dec.InputPos()
				return nil, fmt.Errorf("reading %s record %d at line %d column %d: elements nest deeper than %d levels; no export of records nests this deep: check that this is the right file", s.name, s.index, line, col, maxXMLDepth)
			}
			parent[len(parent)-1] = true
			path = append(path, t.Name.Local)
			// Each level's path is its parent's and one name: built once,
			// not joined again at every element (which grew with the depth).
			prefix := t.Name.Local
			if len(prefixes) > 0 {
				prefix = prefixes[len(prefixes)-1] + "/" + prefix
			}
			prefixes = append(prefixes, prefix)
			text = append(text, nil)
			parent = append(parent, false)
			for _, a := range t.Attr {
				if !namespaceDecl(a) {
					put(prefix+"/@"+a.Name.Local, a.Value)
				}
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
				put(prefixes[len(prefixes)-1], v)
			}
			path = path[:len(path)-1]
			prefixes = prefixes[:len(prefixes)-1]
			text = text[:len(text)-1]
			parent = parent[:len(parent)-1]
		}
	}
}

func (s *xmlSource) Close() error { return s.file.Close() }

// namespaceDecl says whether an attribute declares a namespace (xmlns,
// xmlns:v): markup of the file, not a value of the record.
func namespaceDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns"
}

// othersRecords says whether the element at path (one local name per step)
// holds another source's records of the same file: its path is one of
// theirs, or encloses one, and does not enclose this source's own (want).
func othersRecords(path, want []string, others [][]string) bool {
	if len(others) == 0 || isPrefix(path, want, false) {
		return false
	}
	for _, o := range others {
		// A misnamed one of theirs (<Jakso> among <jakso>) is theirs to
		// hand on, not this source's too.
		if isPrefix(path, o, true) {
			return true
		}
	}
	return false
}

// splitPaths splits record paths into their steps, once per source.
func splitPaths(paths []string) [][]string {
	out := make([][]string, len(paths))
	for i, p := range paths {
		out[i] = strings.Split(strings.Trim(p, "/"), "/")
	}
	return out
}

// isPrefix says whether path is p or begins it, its names compared
// regardless of case when fold is set.
func isPrefix(path, p []string, fold bool) bool {
	if len(path) > len(p) {
		return false
	}
	for i := range path {
		if path[i] != p[i] && !(fold && strings.EqualFold(path[i], p[i])) {
			return false
		}
	}
	return true
}
