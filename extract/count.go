package extract

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// The counters below count a source's records again, each by a path of its
// own that shares nothing with the kind's reader but the file: a reader that
// loses, merges or invents records then disagrees with its counter, and the
// ledger says so. Each counts what its reader should make records of, no
// more: a CSV's non-empty lines outside quotes, a sheet's non-blank rows
// after the header, an XML file's elements at the record depth.

// countCSV counts the records of a CSV file: the lines that are not empty,
// ended by LF, CRLF or a lone CR, outside double quotes, less the header.
// A lone CR ends a line here as legacy Mac exports mean it to, while
// encoding/csv would read such a file as one line: the difference is the
// finding.
func countCSV(ctx context.Context, spec Spec) (int, error) {
	f, err := os.Open(spec.File)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	enc, err := textEncoding(spec.Encoding)
	if err != nil {
		return 0, err
	}
	var r io.Reader = f
	if enc != nil {
		r = enc.NewDecoder().Reader(r)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	lines, inQuotes, content, afterCR := 0, false, false, false
	for i := 0; ; i++ {
		if i%(1<<20) == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		b, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if afterCR && b == '\n' { // the LF of a CRLF: the line ended at its CR
			afterCR = false
			continue
		}
		afterCR = false
		switch {
		case b == '"':
			inQuotes = !inQuotes
			content = true
		case (b == '\n' || b == '\r') && !inQuotes:
			if content {
				lines++
			}
			content, afterCR = false, b == '\r'
		default:
			content = true
		}
	}
	if content {
		lines++
	}
	if !spec.NoHeader && lines > 0 {
		lines--
	}
	return lines, nil
}

// countXML counts what the reader hands on, by its own streaming pass: the
// elements at the record path, and, outside them, those that look like a
// record but stand elsewhere — under the record's parents by another name,
// or named as the records under other parents or at another depth — when
// they carry attributes or child elements. A plain text element is a field
// of its parent, not a record. What is inside a counted element is not
// looked at: a record's own children are fields.
func countXML(ctx context.Context, spec Spec) (int, error) {
	want := strings.Split(strings.Trim(spec.Record, "/"), "/")
	name := want[len(want)-1]
	others := splitPaths(spec.OtherRecords)
	f, err := os.Open(spec.File)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(f, 256<<10))
	dec.CharsetReader = charset.NewReaderLabel
	var stack []string
	n := 0
	// inside is the depth of the counted element being read (-1: none).
	inside := -1
	// pending is the depth of an element that is a record once it has a
	// child element (-1: none).
	pending := -1
	for i := 0; ; i++ {
		if i%(1<<16) == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := dec.InputPos()
			return 0, fmt.Errorf("line %d column %d: %w", line, col, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if pending >= 0 && len(stack) == pending {
				n++ // it has a child: a record where none was expected
				inside, pending = pending, -1
			}
			stack = append(stack, t.Name.Local)
			if inside >= 0 {
				continue
			}
			atPath := len(stack) == len(want) && t.Name.Local == name && samePath(stack, want)
			atLevel := len(stack) == len(want) && samePath(stack[:len(stack)-1], want[:len(want)-1])
			switch {
			case atPath:
				n++
				inside = len(stack)
			case (atLevel || t.Name.Local == name) && othersRecords(stack, want, others):
				inside = len(stack) // another source's records: passed over, not counted
			case atLevel || t.Name.Local == name:
				if valueAttrs(t.Attr) > 0 {
					n++
					inside = len(stack)
				} else {
					pending = len(stack)
				}
			}
		case xml.EndElement:
			if len(stack) == pending {
				pending = -1
			}
			if len(stack) == inside {
				inside = -1
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	return n, nil
}

// valueAttrs counts the attributes that are values, not namespace
// declarations (xmlns, xmlns:v; RawToken leaves them among the attributes).
func valueAttrs(attrs []xml.Attr) int {
	n := 0
	for _, a := range attrs {
		if !namespaceDecl(a) {
			n++
		}
	}
	return n
}

func samePath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// countXLSX counts the rows of a sheet after its header row that have a
// cell with something in it besides spaces, reading the sheet's XML in the
// workbook's zip directly (not through the workbook library the reader
// uses).
func countXLSX(ctx context.Context, spec Spec) (int, error) {
	zr, err := zip.OpenReader(spec.File)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	part, err := sheetPart(files, spec.Sheet)
	if err != nil {
		return 0, err
	}
	blank, err := blankSharedStrings(files["xl/sharedStrings.xml"])
	if err != nil {
		return 0, fmt.Errorf("shared strings: %w", err)
	}
	f, ok := files[part]
	if !ok {
		return 0, fmt.Errorf("the workbook has no %s", part)
	}
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	header := max(spec.HeaderRow, 1)
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 256<<10))
	rows, row := 0, 0
	var cellType string
	inValue, rowHas := false, false
	var text strings.Builder
	for i := 0; ; i++ {
		if i%(1<<16) == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				row++
				if r := attrOf(t, "r"); r != "" {
					if n, err := strconv.Atoi(r); err == nil {
						row = n
					}
				}
				rowHas = false
			case "c":
				cellType = attrOf(t, "t")
			case "v", "t":
				inValue = true
				text.Reset()
			}
		case xml.CharData:
			if inValue {
				text.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
				v := strings.TrimSpace(text.String())
				if cellType == "s" && t.Name.Local == "v" {
					idx, err := strconv.Atoi(v)
					if err == nil && idx >= 0 && idx < len(blank) && !blank[idx] {
						rowHas = true
					}
				} else if v != "" {
					rowHas = true
				}
			case "row":
				if row > header && rowHas {
					rows++
				}
			}
		}
	}
	return rows, nil
}

func attrOf(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sheetPart finds the zip part of a sheet by its name (the first sheet when
// name is empty) through the workbook and its relationships.
func sheetPart(files map[string]*zip.File, name string) (string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readZipXML(files["xl/workbook.xml"], &wb); err != nil {
		return "", fmt.Errorf("xl/workbook.xml: %w", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readZipXML(files["xl/_rels/workbook.xml.rels"], &rels); err != nil {
		return "", fmt.Errorf("xl/_rels/workbook.xml.rels: %w", err)
	}
	for i, s := range wb.Sheets {
		if (name == "" && i == 0) || s.Name == name {
			for _, r := range rels.Rels {
				if r.ID == s.RID {
					if strings.HasPrefix(r.Target, "/") {
						return strings.TrimPrefix(r.Target, "/"), nil
					}
					return path.Join("xl", r.Target), nil
				}
			}
			return "", fmt.Errorf("sheet %q has no part in the workbook's relationships", s.Name)
		}
	}
	return "", fmt.Errorf("the workbook has no sheet %q", name)
}

func readZipXML(f *zip.File, v any) error {
	if f == nil {
		return errors.New("missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// blankSharedStrings says, for each shared string, whether it is blank
// (spaces only): one bool a string, not the strings.
func blankSharedStrings(f *zip.File) ([]bool, error) {
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 256<<10))
	var out []bool
	inT := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				out = append(out, true)
			case "t":
				inT = true
			}
		case xml.CharData:
			if inT && len(out) > 0 && strings.TrimSpace(string(t)) != "" {
				out[len(out)-1] = false
			}
		case xml.EndElement:
			if t.Name.Local == "t" {
				inT = false
			}
		}
	}
}

// CountRecords counts the CSV file's records by its own scanner.
func (s *csvSource) CountRecords(ctx context.Context) (int, string, error) {
	n, err := countCSV(ctx, s.spec)
	return n, "non-empty lines outside quotes, counted apart from the CSV reader", err
}

// CountRecords counts the XML file's record elements by a streaming pass
// of its own.
func (s *xmlSource) CountRecords(ctx context.Context) (int, string, error) {
	n, err := countXML(ctx, s.spec)
	return n, "elements at the record depth, counted in a streaming pass of their own", err
}

// CountRecords counts the sheet's non-blank rows in the workbook's XML.
func (s *xlsxSource) CountRecords(ctx context.Context) (int, string, error) {
	n, err := countXLSX(ctx, s.spec)
	return n, "non-blank rows after the header in the sheet's XML", err
}

// CountRecords is the query's SELECT COUNT(*), counted before the rows
// were streamed.
func (s *sqlSource) CountRecords(context.Context) (int, string, error) {
	return int(s.want), "SELECT COUNT(*) over the same query", nil
}
