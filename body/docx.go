package body

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A Word .docx file (Office Open XML, ECMA-376) is a zip of XML parts; its
// text is word/document.xml, read here as a stream with encoding/xml:
// paragraphs (w:p) of runs (w:r) with bold, italic and underline;
// headings by their style's name in word/styles.xml ("heading 1", in any
// language Word writes it, as the name is English whatever the style's
// id); list paragraphs by their numbering (w:numPr), numbered or bulleted
// as word/numbering.xml says; tables (w:tbl) with their cells. Pictures
// and embedded objects are counted as left out, deleted text of tracked
// changes is not read, fields' instructions are skipped and their results
// kept. No Go .docx reader made for reading text with its structure is
// served to this project; the format's parts are standard XML, so the
// standard library reads them.

const wNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// ErrLegacyWord is a Word 97–2003 .doc (an OLE compound file), which
// kantamig does not read.
var ErrLegacyWord = errors.New("a legacy Word .doc or another OLE compound file (an encrypted .docx is one too), which kantamig does not read: save it as .docx or PDF")

func readDOCX(data []byte) (*Body, error) {
	if bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) {
		return nil, ErrLegacyWord
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a Word .docx file (not a zip: %v)", err)
	}
	part := func(name string) *zip.File {
		for _, f := range zr.File {
			if f.Name == name {
				return f
			}
		}
		return nil
	}
	doc := part("word/document.xml")
	if doc == nil {
		return nil, fmt.Errorf("not a Word .docx file: it has no word/document.xml")
	}
	r := &docxReader{body: &Body{Format: DOCX, Charset: "utf-8"}, headings: map[string]int{}, ordered: map[string]bool{}}
	if f := part("word/styles.xml"); f != nil {
		if err := r.readStyles(f); err != nil {
			return nil, err
		}
	}
	if f := part("word/numbering.xml"); f != nil {
		if err := r.readNumbering(f); err != nil {
			return nil, err
		}
	}
	rc, err := doc.Open()
	if err != nil {
		return nil, fmt.Errorf("the .docx's word/document.xml: %w", err)
	}
	defer rc.Close()
	if err := r.read(xml.NewDecoder(rc)); err != nil {
		return nil, fmt.Errorf("the .docx's word/document.xml: %w", err)
	}
	return r.body, nil
}

type docxReader struct {
	body     *Body
	headings map[string]int  // style id -> heading level
	ordered  map[string]bool // numId -> numbered (not bulleted)
}

func attrW(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name && (a.Name.Space == wNS || a.Name.Space == "") {
			return a.Value, true
		}
	}
	return "", false
}

// on reads a toggle property (w:b, w:i): on unless its val says off.
func on(e xml.StartElement) bool {
	v, ok := attrW(e, "val")
	return !ok || v != "0" && v != "false" && v != "none" && v != "off"
}

// eachElement calls fn with every WordprocessingML start element of a
// part, in document order.
func eachElement(f *zip.File, fn func(xml.StartElement)) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("the .docx's %s: %w", f.Name, err)
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the .docx's %s: %w", f.Name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == wNS {
			fn(se)
		}
	}
}

// readStyles learns which paragraph styles are headings.
func (r *docxReader) readStyles(f *zip.File) error {
	id := ""
	return eachElement(f, func(se xml.StartElement) {
		switch se.Name.Local {
		case "style":
			id, _ = attrW(se, "styleId")
		case "name":
			name, _ := attrW(se, "val")
			var lvl int
			if _, err := fmt.Sscanf(strings.ToLower(name), "heading %d", &lvl); err == nil && lvl >= 1 && id != "" {
				r.headings[id] = min(lvl, 6)
			}
		case "outlineLvl":
			if v, ok := attrW(se, "val"); ok && id != "" {
				var lvl int
				if _, err := fmt.Sscanf(v, "%d", &lvl); err == nil && lvl < 9 {
					if _, named := r.headings[id]; !named {
						r.headings[id] = min(lvl+1, 6)
					}
				}
			}
		}
	})
}

// readNumbering learns which lists are numbered rather than bulleted.
func (r *docxReader) readNumbering(f *zip.File) error {
	abstract := map[string]bool{} // abstractNumId -> its first level is numbered
	numAbstract := map[string]string{}
	curAbs, curNum, lvl := "", "", ""
	err := eachElement(f, func(se xml.StartElement) {
		switch se.Name.Local {
		case "abstractNum":
			curAbs, _ = attrW(se, "abstractNumId")
		case "lvl":
			lvl, _ = attrW(se, "ilvl")
		case "numFmt":
			if v, _ := attrW(se, "val"); lvl == "0" && curAbs != "" {
				abstract[curAbs] = v != "bullet" && v != "none"
			}
		case "num":
			curNum, _ = attrW(se, "numId")
		case "abstractNumId":
			if v, ok := attrW(se, "val"); ok && curNum != "" {
				numAbstract[curNum] = v
			}
		}
	})
	if err != nil {
		return err
	}
	for num, abs := range numAbstract {
		r.ordered[num] = abstract[abs]
	}
	return nil
}

// read reads the document part: the blocks of w:body, a table's cells
// with their paragraphs.
func (r *docxReader) read(d *xml.Decoder) error {
	type cellState struct {
		blocks []Block
	}
	var (
		text                    runs
		bold, italic, underline bool
		inRunProps, inParaProps bool
		style, numID            string
		level                   int
		listed                  bool
		skip                    int // depth inside an element whose text is not read
		tables                  []*Block
		cells                   []*cellState
	)
	emit := func(bl Block) {
		if len(cells) > 0 {
			c := cells[len(cells)-1]
			c.blocks = append(c.blocks, bl)
			return
		}
		if strings.TrimSpace(runsText(bl.Runs)) == "" && bl.Kind != Table {
			return
		}
		r.body.Blocks = append(r.body.Blocks, bl)
	}
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			if t.Name.Space != wNS {
				continue
			}
			switch t.Name.Local {
			case "del", "instrText", "delText", "footnoteReference", "endnoteReference":
				skip = 1
			case "drawing", "pict":
				r.body.drop("picture")
				skip = 1
			case "object":
				r.body.drop("embedded object")
				skip = 1
			case "p":
				text.take()
				style, numID, level, listed = "", "", 0, false
			case "pPr":
				inParaProps = true
			case "rPr":
				inRunProps = !inParaProps
			case "r":
				bold, italic, underline = false, false, false
			case "pStyle":
				style, _ = attrW(t, "val")
			case "ilvl":
				if v, ok := attrW(t, "val"); ok {
					fmt.Sscanf(v, "%d", &level)
				}
			case "numId":
				numID, _ = attrW(t, "val")
				listed = numID != "0"
			case "b":
				if inRunProps {
					bold = on(t)
				}
			case "i":
				if inRunProps {
					italic = on(t)
				}
			case "u":
				if inRunProps {
					underline = on(t)
				}
			case "t":
				inText = true
			case "tab":
				if !inParaProps {
					text.text("\t", bold, italic, underline)
				}
			case "br", "cr":
				if v, _ := attrW(t, "type"); v == "page" {
					continue
				}
				text.lineBreak()
			case "tbl":
				tables = append(tables, &Block{Kind: Table})
			case "tr":
				if len(tables) > 0 {
					tb := tables[len(tables)-1]
					tb.Rows = append(tb.Rows, nil)
				}
			case "tc":
				cells = append(cells, &cellState{})
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if t.Name.Space != wNS {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "pPr":
				inParaProps = false
			case "rPr":
				inRunProps = false
			case "p":
				bl := Block{Kind: Paragraph, Runs: text.take()}
				switch lvl, ok := r.headings[style]; {
				case ok:
					bl.Kind, bl.Level = Heading, lvl
				case listed:
					bl.Kind, bl.Level, bl.Ordered = Item, level+1, r.ordered[numID]
				}
				emit(bl)
			case "tc":
				c := cells[len(cells)-1]
				cells = cells[:len(cells)-1]
				if len(tables) > 0 {
					tb := tables[len(tables)-1]
					if len(tb.Rows) == 0 {
						tb.Rows = append(tb.Rows, nil)
					}
					last := &tb.Rows[len(tb.Rows)-1]
					*last = append(*last, Cell{Blocks: c.blocks})
				}
			case "tbl":
				tb := tables[len(tables)-1]
				tables = tables[:len(tables)-1]
				if len(tables) > 0 && len(cells) > 0 { // a table in a cell: its text, in the cell
					c := cells[len(cells)-1]
					for _, row := range tb.Rows {
						for _, cell := range row {
							c.blocks = append(c.blocks, cell.Blocks...)
						}
					}
					continue
				}
				emit(*tb)
			}
		case xml.CharData:
			if inText && skip == 0 {
				text.text(string(t), bold, italic, underline)
			}
		}
	}
}
