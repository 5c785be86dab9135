// Package body reads a legacy document's body as the legacy system held
// it (plain text, RTF from a word-processor component, HTML from a web
// front end, a Word .docx made from a template) into one neutral structure: paragraphs, headings, list
// items and tables of runs of text, bold, italic or underlined. The
// transform writes that structure as the display form's XHTML, so every
// format gets the same escaping and the same well-formedness, and nothing
// a format could smuggle (a script, an external reference, a style) has a
// place to go. What a reader leaves out (a picture, a script) is counted
// in Body.Dropped, for the report to say; a body that cannot be read is an
// error naming why, never a silent empty text.
package body

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// Format is how a body is written.
type Format string

// The formats a body may come in; Auto lets Sniff decide per document.
const (
	Text Format = "text"
	RTF  Format = "rtf"
	HTML Format = "html"
	DOCX Format = "docx"
	PDF  Format = "pdf"
	TIFF Format = "tiff"
	Auto Format = "auto"
)

// Formats lists the formats a mapping may name.
var Formats = []Format{Text, RTF, HTML, DOCX, PDF, TIFF, Auto}

// Scan says whether a body of the format is not read into the display form
// but carried as a document of its own, as PDF/A (package pdfa).
func (f Format) Scan() bool { return f == PDF || f == TIFF }

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(strings.TrimSpace(s), string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown body format %q: one of text, rtf, html, docx, pdf, tiff, auto", s)
}

// Sniff decides a body's format by its first bytes: RTF begins "{\rtf",
// a PDF "%PDF-", a TIFF with its byte-order mark and 42, a .docx is a zip
// holding word/document.xml, HTML begins with a tag of a document or its
// usual first elements; anything else is plain text (which must then be
// UTF-8: other bytes are refused with what they look like).
func Sniff(data []byte) Format {
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		return PDF
	}
	if bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")) {
		return TIFF
	}
	head := bytes.TrimLeft(data, " \t\r\n\ufeff")
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte(`{\rtf`)) {
		return RTF
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) && bytes.Contains(data, []byte("word/document.xml")) {
		return DOCX
	}
	lower := strings.ToLower(string(head[:min(len(head), 64)]))
	for _, tag := range []string{"<!doctype html", "<html", "<body", "<p>", "<p ", "<div", "<table", "<h1", "<h2", "<br", "<ul", "<ol", "<span", "<b>", "<i>", "<font"} {
		if strings.HasPrefix(lower, tag) {
			return HTML
		}
	}
	return Text
}

// Kind is the kind of a block.
type Kind int

// The kinds of block.
const (
	Paragraph Kind = iota
	Heading
	Item // a list item; Ordered says which kind of list
	Table
)

// Run is a piece of text with one formatting; Break is a line break
// (its Text is empty).
type Run struct {
	Text                    string
	Bold, Italic, Underline bool
	Break                   bool
}

// Block is a paragraph, heading, list item or table.
type Block struct {
	Kind    Kind
	Level   int  // a heading's level (1–6), a list item's depth (1…)
	Ordered bool // a numbered list's item
	Runs    []Run
	Rows    [][]Cell // a table's
}

// Cell is one cell of a table row.
type Cell struct {
	Header bool
	Blocks []Block
}

// Body is a read body: its blocks, and what was left out of it.
type Body struct {
	Format  Format
	Blocks  []Block
	Dropped map[string]int // what the reader left out, by what it was ("picture", "script")
	// Charset names the character set the bytes were read in, when the
	// format does not fix it (RTF's code page, HTML's declared or sniffed
	// charset).
	Charset string
}

func (b *Body) drop(what string) {
	if b.Dropped == nil {
		b.Dropped = map[string]int{}
	}
	b.Dropped[what]++
}

// Summary says in a line what the body holds and what was left out, for
// the report's note on a converted body.
func (b *Body) Summary() string {
	counts := map[Kind]int{}
	var count func([]Block)
	count = func(bs []Block) {
		for _, bl := range bs {
			counts[bl.Kind]++
			for _, row := range bl.Rows {
				for _, c := range row {
					count(c.Blocks)
				}
			}
		}
	}
	count(b.Blocks)
	parts := []string{fmt.Sprintf("%d paragraphs", counts[Paragraph])}
	for _, k := range []struct {
		kind Kind
		name string
	}{{Heading, "headings"}, {Item, "list items"}, {Table, "tables"}} {
		if counts[k.kind] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k.kind], k.name))
		}
	}
	s := strings.Join(parts, ", ")
	if b.Charset != "" {
		s += "; read as " + b.Charset
	}
	if len(b.Dropped) > 0 {
		var left []string
		for what, n := range b.Dropped {
			left = append(left, fmt.Sprintf("%d %s", n, what))
		}
		sort.Strings(left)
		s += "; left out: " + strings.Join(left, ", ")
	}
	return s
}

// Read reads data in format f (Auto: as Sniff says). Empty data (a NULL
// column, an empty file) is an empty text in any format: a document with
// no text, not an unreadable one.
func Read(f Format, data []byte) (*Body, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return readText(""), nil
	}
	if f == Auto || f == "" {
		f = Sniff(data)
	}
	switch f {
	case RTF:
		return readRTF(data)
	case HTML:
		return readHTML(data)
	case DOCX:
		return readDOCX(data)
	case PDF, TIFF:
		return nil, fmt.Errorf("a %s is not read into the display form: it is carried as PDF/A (pdfa_documents)", strings.ToUpper(string(f)))
	}
	if !utf8.Valid(data) {
		what := describe(data)
		switch {
		case strings.HasPrefix(what, "a legacy Word"):
			return nil, fmt.Errorf("the bytes are %s, which is not read: convert it to .docx or PDF (soffice --headless --convert-to docx) and name that file", what)
		case strings.HasPrefix(what, "image/"):
			return nil, fmt.Errorf("the bytes are an image (%s), and only a TIFF scan is carried (as PDF/A): convert it to PDF or TIFF and name that file", what)
		}
		return nil, fmt.Errorf("the text is not UTF-8 (its bytes look like %s): give its format (text_format), or the source's encoding", what)
	}
	return readText(string(data)), nil
}

// PlainBytes says whether bytes are plain text in some character set:
// no format's first bytes, and none of the control bytes that mark a
// binary file (a legacy .doc, a picture). Only such bytes may be decoded
// in an encoding a mapping names.
func PlainBytes(data []byte) bool {
	return Sniff(data) == Text && !bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")) &&
		strings.HasPrefix(http.DetectContentType(data), "text/plain")
}

// describe names what bytes look like, for a reason: their sniffed media
// type, and a legacy Word file by name.
func describe(data []byte) string {
	if bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) {
		return "a legacy Word .doc or another OLE compound file"
	}
	return http.DetectContentType(data)
}

// Plain is a body of plain text (paragraphs at blank lines).
func Plain(text string) *Body { return readText(text) }

// readText reads plain text: paragraphs at blank lines, line breaks kept.
func readText(text string) *Body {
	b := &Body{Format: Text}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		var runs []Run
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				runs = append(runs, Run{Break: true})
			}
			runs = append(runs, Run{Text: line})
		}
		b.Blocks = append(b.Blocks, Block{Kind: Paragraph, Runs: runs})
	}
	return b
}

// PlainText is the body's text without formatting: paragraphs separated
// by blank lines, a table's cells by tabs. The structured form carries
// text, not markup.
func (b *Body) PlainText() string {
	var out strings.Builder
	var write func([]Block)
	write = func(bs []Block) {
		for _, bl := range bs {
			if bl.Kind == Table {
				for _, row := range bl.Rows {
					for i, c := range row {
						if i > 0 {
							out.WriteString("\t")
						}
						var cell strings.Builder
						for _, cb := range c.Blocks {
							cell.WriteString(runsText(cb.Runs))
						}
						out.WriteString(strings.ReplaceAll(cell.String(), "\n", " "))
					}
					out.WriteString("\n")
				}
				out.WriteString("\n")
				continue
			}
			out.WriteString(runsText(bl.Runs))
			out.WriteString("\n\n")
		}
	}
	write(b.Blocks)
	return strings.TrimRight(out.String(), "\n")
}

// runs gathers the runs of a block as a reader meets its text: a piece
// at a time (RTF gives a character at a time), each added to the run
// being built while its formatting stays, in a builder, since growing a
// string by concatenation would copy a long paragraph once per piece.
type runs struct {
	done    []Run
	pending strings.Builder
	as      [3]bool // the pending text's bold, italic, underline
}

// text adds s in a formatting.
func (r *runs) text(s string, bold, italic, underline bool) {
	as := [3]bool{bold, italic, underline}
	if r.pending.Len() > 0 && as != r.as {
		r.flush()
	}
	r.as = as
	r.pending.WriteString(s)
}

// lineBreak adds a line break.
func (r *runs) lineBreak() {
	r.flush()
	r.done = append(r.done, Run{Break: true})
}

func (r *runs) flush() {
	if r.pending.Len() > 0 {
		r.done = append(r.done, Run{Text: r.pending.String(), Bold: r.as[0], Italic: r.as[1], Underline: r.as[2]})
		r.pending.Reset()
	}
}

// empty says whether nothing was added since the last take.
func (r *runs) empty() bool { return len(r.done) == 0 && r.pending.Len() == 0 }

// endsInSpace says whether the text so far ends in a space.
func (r *runs) endsInSpace() bool {
	if r.pending.Len() > 0 {
		return strings.HasSuffix(r.pending.String(), " ")
	}
	return len(r.done) > 0 && strings.HasSuffix(r.done[len(r.done)-1].Text, " ")
}

// take returns the runs gathered and starts again.
func (r *runs) take() []Run {
	r.flush()
	out := r.done
	r.done = nil
	return out
}

func runsText(rs []Run) string {
	var s strings.Builder
	for _, r := range rs {
		if r.Break {
			s.WriteString("\n")
		}
		s.WriteString(r.Text)
	}
	return s.String()
}
