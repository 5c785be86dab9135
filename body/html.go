package body

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// HTML is parsed as a browser would (golang.org/x/net/html, the HTML5
// parsing algorithm, so unclosed and misnested tags mean what they meant
// on screen) and rebuilt from what the display form may hold: paragraphs,
// headings, lists, tables, line breaks, bold, italic and underline.
// Everything else is left out by construction, not filtered out:
// scripts, styles, frames, forms and embedded objects with their content
// (counted), images (counted: an image is an external reference or a
// data URL the display form does not carry), links as their text only,
// every attribute. Bytes that are not UTF-8 are read in the charset the
// document declares, or else the one the bytes are sniffed to be
// (windows-1252 for Western text), and the report says which.

// dropped are the elements left out with their content, by what they are.
var droppedElements = map[atom.Atom]string{
	atom.Script: "script", atom.Style: "style", atom.Iframe: "frame", atom.Frame: "frame", atom.Frameset: "frame",
	atom.Object: "embedded object", atom.Embed: "embedded object", atom.Applet: "embedded object",
	atom.Form: "form", atom.Input: "form", atom.Select: "form", atom.Textarea: "form", atom.Button: "form",
	atom.Img: "image", atom.Svg: "image", atom.Math: "formula", atom.Video: "video", atom.Audio: "audio",
	atom.Canvas: "image", atom.Noscript: "", atom.Template: "", atom.Title: "", atom.Meta: "", atom.Link: "", atom.Base: "",
}

func readHTML(data []byte) (*Body, error) {
	b := &Body{Format: HTML}
	if !utf8.Valid(data) {
		_, name, _ := charset.DetermineEncoding(data, "text/html")
		if name == "utf-8" {
			// Decoding would put U+FFFD where each such byte was: a silent repair.
			return nil, fmt.Errorf("the HTML declares UTF-8, but its bytes are not UTF-8 (%s): correct its charset declaration in the source, or re-export it in UTF-8", badUTF8(data))
		}
		b.Charset = name
		if !declaresCharset.Match(data[:min(len(data), 1024)]) {
			b.Charset += " (sniffed: the HTML declares no character set)"
		}
	}
	r, err := charset.NewReader(bytes.NewReader(data), "text/html")
	if err != nil {
		return nil, fmt.Errorf("the HTML's character set: %w", err)
	}
	if b.Charset == "" {
		b.Charset = "utf-8"
	}
	doc, err := html.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("the HTML could not be parsed: %w", err)
	}
	h := &htmlReader{body: b}
	h.node(doc, style{})
	h.endBlock()
	return b, nil
}

// declaresCharset finds a charset declaration where a browser looks for one.
var declaresCharset = regexp.MustCompile(`(?i)<meta[^>]+charset`)

// badUTF8 names where bytes stop being UTF-8, and what they are there.
func badUTF8(data []byte) string {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Sprintf("byte %d is 0x%02x", i, data[i])
		}
		i += n
	}
	return "valid"
}

type style struct{ bold, italic, underline bool }

type htmlReader struct {
	body    *Body
	runs    runs
	kind    Kind
	level   int
	ordered bool
	// lists nests the open lists: true for an ordered one.
	lists []bool
	// table is the table being read, nil outside one; cells collect the
	// blocks of the cell being read.
	table  *Block
	inCell bool
	cell   []Block
	header bool
}

// node reads n and its children in style st.
func (h *htmlReader) node(n *html.Node, st style) {
	switch n.Type {
	case html.TextNode:
		h.text(n.Data, st)
		return
	case html.ElementNode:
		if what, ok := droppedElements[n.DataAtom]; ok {
			if what != "" {
				h.body.drop(what)
			}
			return
		}
		switch n.DataAtom {
		case atom.B, atom.Strong:
			st.bold = true
		case atom.I, atom.Em, atom.Cite, atom.Var:
			st.italic = true
		case atom.U, atom.Ins:
			st.underline = true
		case atom.Br:
			h.runs.lineBreak()
			return
		case atom.P, atom.Div, atom.Blockquote, atom.Pre, atom.Address, atom.Center, atom.Section, atom.Article, atom.Dd, atom.Dt:
			h.endBlock()
			h.children(n, st)
			h.endBlock()
			return
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			h.endBlock()
			h.kind, h.level = Heading, int(n.Data[1]-'0')
			h.children(n, st)
			h.endBlock()
			return
		case atom.Ul, atom.Ol, atom.Dl:
			h.endBlock()
			h.lists = append(h.lists, n.DataAtom == atom.Ol)
			h.children(n, st)
			h.endBlock()
			h.lists = h.lists[:len(h.lists)-1]
			return
		case atom.Li:
			h.endBlock()
			h.kind, h.level = Item, max(len(h.lists), 1)
			h.ordered = len(h.lists) > 0 && h.lists[len(h.lists)-1]
			h.children(n, st)
			h.endBlock()
			return
		case atom.Table:
			if h.table != nil { // a table in a table: its cells' text, in the outer cell
				h.children(n, st)
				return
			}
			h.endBlock()
			h.table = &Block{Kind: Table}
			h.children(n, st)
			if len(h.table.Rows) > 0 {
				h.body.Blocks = append(h.body.Blocks, *h.table)
			}
			h.table = nil
			return
		case atom.Tr:
			if h.table != nil && !h.inCell {
				h.table.Rows = append(h.table.Rows, nil)
				h.children(n, st)
				return
			}
		case atom.Td, atom.Th:
			if h.table != nil && !h.inCell && len(h.table.Rows) > 0 {
				h.inCell, h.cell, h.header = true, nil, n.DataAtom == atom.Th
				h.children(n, st)
				h.endBlock()
				row := &h.table.Rows[len(h.table.Rows)-1]
				*row = append(*row, Cell{Header: h.header, Blocks: h.cell})
				h.inCell, h.cell = false, nil
				return
			}
		}
	}
	h.children(n, st)
}

func (h *htmlReader) children(n *html.Node, st style) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		h.node(c, st)
	}
}

// text adds text as HTML shows it: a run of white space is one space.
func (h *htmlReader) text(s string, st style) {
	core := strings.Join(strings.Fields(s), " ")
	lead := len(s) > 0 && strings.ContainsRune(" \t\r\n\f", rune(s[0]))
	trail := len(s) > 0 && strings.ContainsRune(" \t\r\n\f", rune(s[len(s)-1]))
	if core == "" {
		if lead && !h.runs.empty() {
			h.appendText(" ", st)
		}
		return
	}
	if lead {
		core = " " + core
	}
	if trail {
		core += " "
	}
	h.appendText(core, st)
}

func (h *htmlReader) appendText(s string, st style) {
	if strings.HasPrefix(s, " ") && h.runs.endsInSpace() {
		s = s[1:]
	}
	h.runs.text(s, st.bold, st.italic, st.underline)
}

// endBlock ends the block being read: into the cell when in one.
func (h *htmlReader) endBlock() {
	runs := trimRuns(h.runs.take())
	kind, level, ordered := h.kind, h.level, h.ordered
	h.kind, h.level, h.ordered = Paragraph, 0, false
	if len(runs) == 0 {
		return
	}
	bl := Block{Kind: kind, Level: level, Ordered: ordered, Runs: runs}
	if h.inCell {
		h.cell = append(h.cell, bl)
		return
	}
	h.body.Blocks = append(h.body.Blocks, bl)
}

// trimRuns drops leading and trailing white space and breaks of a block.
func trimRuns(rs []Run) []Run {
	for len(rs) > 0 && (rs[0].Break || strings.TrimSpace(rs[0].Text) == "") {
		rs = rs[1:]
	}
	for len(rs) > 0 && (rs[len(rs)-1].Break || strings.TrimSpace(rs[len(rs)-1].Text) == "") {
		rs = rs[:len(rs)-1]
	}
	if len(rs) == 0 {
		return nil
	}
	rs[0].Text = strings.TrimLeft(rs[0].Text, " ")
	rs[len(rs)-1].Text = strings.TrimRight(rs[len(rs)-1].Text, " ")
	return rs
}
