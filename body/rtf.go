package body

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// RTF is read by its specification (1.9.1) as far as a migrated text
// needs it: groups scope the character formatting; the font table says
// each font's character set, and a \'hh byte is decoded in its font's
// code page or the document's \ansicpg; \uN escapes are Unicode, their
// \ucN fallback characters skipped; \par, \line and \tab shape the text;
// \intbl, \cell and \row make tables; list paragraphs (\ls, \ilvl) and
// heading styles (a stylesheet's "heading N", \outlinelevel) keep their
// kind. Destinations a reader has no use for (the stylesheet's own text,
// the information block, headers and footers, fields' instructions) are
// skipped; pictures and embedded objects are counted as left out. No Go
// RTF reader made for this is served to this project, and running an
// office suite or unrtf per document costs a process each; the reader
// here is small and its tests are the characters Finnish text needs.

// rtfGroup is the state a group scopes.
type rtfGroup struct {
	bold, italic, underline bool
	font                    int
	uc                      int
	dest                    string // the destination the group is in ("" for the text)
	skip                    bool   // the group's text is not the document's
}

type rtfReader struct {
	data  []byte
	pos   int
	body  *Body
	cur   rtfGroup
	stack []rtfGroup

	ansiCP       int
	fontCP       map[int]int // font number -> code page, from \fcharset
	defFont      int
	fontDef      int // the font being defined in the font table
	styleDef     int // the style being defined in the stylesheet
	styleName    strings.Builder
	headingOf    map[int]int // style number -> heading level
	skipFallback int         // \uc characters still to skip after a \u

	runs     runs
	intbl    bool
	heading  int
	listItem bool
	level    int
	marker   strings.Builder // a list paragraph's \listtext or \pntext

	cellBlocks []Block
	row        []Cell
	openTable  int // index in body.Blocks of the table rows go to, -1 for none
}

func readRTF(data []byte) (*Body, error) {
	if !strings.HasPrefix(strings.TrimLeft(string(data[:min(len(data), 16)]), " \t\r\n\ufeff"), `{\rtf`) {
		return nil, fmt.Errorf("the body is not RTF: it does not begin with {\\rtf")
	}
	r := &rtfReader{data: data, body: &Body{Format: RTF}, ansiCP: 1252, fontCP: map[int]int{}, headingOf: map[int]int{}, openTable: -1}
	r.cur.uc = 1
	if err := r.read(); err != nil {
		return nil, err
	}
	r.body.Charset = fmt.Sprintf("code page %d", r.ansiCP)
	return r.body, nil
}

func (r *rtfReader) read() error {
	depth := 0
	started := false
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch c {
		case '{':
			r.pos++
			r.stack = append(r.stack, r.cur)
			depth++
			started = true
			if r.pos+1 < len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == '*' {
				// An ignorable destination: known ones are read below, the
				// others skipped whole.
				r.pos += 2
				word, _, _ := r.peekWord()
				if !knownDestination(word) {
					r.cur.skip, r.cur.dest = true, word
				}
			}
		case '}':
			r.pos++
			if depth == 0 {
				return fmt.Errorf("the RTF closes a group it never opened, at byte %d", r.pos)
			}
			if r.cur.dest == "stylesheet" && !r.cur.skip {
				r.endStyle()
			}
			r.cur = r.stack[len(r.stack)-1]
			r.stack = r.stack[:len(r.stack)-1]
			depth--
			if depth == 0 {
				r.endParagraph(false)
				r.flushRow()
				return nil // what follows the document's group is not its text
			}
		case '\\':
			if err := r.control(); err != nil {
				return err
			}
		case '\r', '\n':
			r.pos++
		default:
			r.pos++
			r.char(rune(c), c >= 0x80)
		}
	}
	if !started {
		return fmt.Errorf("the RTF has no document group")
	}
	return fmt.Errorf("the RTF ends inside %d unclosed groups: the text was cut short (truncated in the source or on its way out)", depth)
}

// peekWord reads the control word at pos (after a backslash), without
// moving past it.
func (r *rtfReader) peekWord() (string, int, bool) {
	p := r.pos
	if p >= len(r.data) || r.data[p] != '\\' {
		return "", 0, false
	}
	p++
	start := p
	for p < len(r.data) && isLetter(r.data[p]) {
		p++
	}
	return string(r.data[start:p]), p, p > start
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// control reads a control word or symbol at pos and applies it.
func (r *rtfReader) control() error {
	r.pos++ // the backslash
	if r.pos >= len(r.data) {
		return fmt.Errorf("the RTF ends in a control word: truncated")
	}
	c := r.data[r.pos]
	if !isLetter(c) {
		r.pos++
		switch c {
		case '\\', '{', '}':
			r.char(rune(c), false)
		case '\'':
			if r.pos+2 > len(r.data) {
				return fmt.Errorf("the RTF ends in a \\' escape: truncated")
			}
			var b byte
			if _, err := fmt.Sscanf(string(r.data[r.pos:r.pos+2]), "%02x", &b); err != nil {
				return fmt.Errorf("a \\' escape without two hex digits at byte %d", r.pos)
			}
			r.pos += 2
			r.char(rune(b), true)
		case '~':
			r.char('\u00a0', false)
		case '_':
			r.char('\u2011', false)
		case '-': // an optional hyphen: not text
		case '\r', '\n':
			r.word("par", 0, false)
		case '*':
		}
		return nil
	}
	start := r.pos
	for r.pos < len(r.data) && isLetter(r.data[r.pos]) {
		r.pos++
	}
	word := string(r.data[start:r.pos])
	neg := false
	if r.pos < len(r.data) && r.data[r.pos] == '-' {
		neg = true
		r.pos++
	}
	param, hasParam := 0, false
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		param = param*10 + int(r.data[r.pos]-'0')
		hasParam = true
		r.pos++
	}
	if neg {
		param = -param
	}
	if r.pos < len(r.data) && r.data[r.pos] == ' ' {
		r.pos++ // the delimiter is part of the control word
	}
	if word == "bin" && hasParam { // binary data: skipped, whatever it holds
		r.pos = min(len(r.data), r.pos+max(param, 0))
		return nil
	}
	r.word(word, param, hasParam)
	return nil
}

// knownDestination says which \* destinations the reader reads.
func knownDestination(word string) bool {
	switch word {
	case "listtext", "pntext", "fldrslt":
		return true
	}
	return false
}

// skipped are the destinations whose text is not the document's.
var skipped = map[string]string{
	"colortbl": "", "info": "", "header": "", "headerl": "", "headerr": "", "headerf": "",
	"footer": "", "footerl": "", "footerr": "", "footerf": "", "fldinst": "", "listtable": "",
	"listoverridetable": "", "rsidtbl": "", "generator": "", "xmlnstbl": "", "themedata": "",
	"colorschememapping": "", "latentstyles": "", "datastore": "", "filetbl": "", "revtbl": "",
	"pgdsctbl": "", "bkmkstart": "", "bkmkend": "", "pnseclvl": "", "pntxta": "", "pntxtb": "",
	"pict": "picture", "shppict": "picture", "nonshppict": "", "object": "embedded object", "footnote": "footnote",
	"annotation": "comment",
}

// word applies a control word.
func (r *rtfReader) word(word string, param int, hasParam bool) {
	if r.cur.skip {
		return
	}
	on := !hasParam || param != 0
	if what, ok := skipped[word]; ok {
		r.cur.skip, r.cur.dest = true, word
		if what != "" {
			r.body.drop(what)
		}
		return
	}
	switch word {
	case "fonttbl", "stylesheet", "listtext", "pntext":
		r.cur.dest = word
		if word == "stylesheet" {
			r.styleDef = 0
			r.styleName.Reset()
		}
		if word == "listtext" || word == "pntext" {
			r.marker.Reset()
		}
		return
	case "ansicpg":
		r.ansiCP = param
	case "ansi":
		r.ansiCP = 1252
	case "mac":
		r.ansiCP = 10000
	case "pc":
		r.ansiCP = 437
	case "pca":
		r.ansiCP = 850
	case "deff":
		r.defFont = param
	case "f":
		switch r.cur.dest {
		case "fonttbl":
			r.fontDef = param
		default:
			r.cur.font = param
		}
	case "fcharset":
		if r.cur.dest == "fonttbl" {
			if cp, ok := charsetCP[param]; ok {
				r.fontCP[r.fontDef] = cp
			}
		}
	case "s":
		if r.cur.dest == "stylesheet" {
			r.styleDef = param
			r.styleName.Reset()
		} else if lvl, ok := r.headingOf[param]; ok {
			r.heading = lvl
		}
	case "outlinelevel":
		if param >= 0 && param < 9 {
			r.heading = min(param+1, 6)
		}
	case "uc":
		r.cur.uc = max(param, 0)
	case "u":
		if param < 0 {
			param += 65536
		}
		r.skipFallback = 0
		r.char(rune(param), false)
		r.skipFallback = r.cur.uc
	case "b":
		r.cur.bold = on
	case "i":
		r.cur.italic = on
	case "ul":
		r.cur.underline = on
	case "ulnone":
		r.cur.underline = false
	case "plain":
		r.cur.bold, r.cur.italic, r.cur.underline = false, false, false
	case "pard":
		r.intbl, r.heading, r.listItem, r.level = false, 0, false, 0
	case "intbl":
		r.intbl = true
	case "ls":
		r.listItem = true
	case "ilvl":
		r.level = param
	case "par", "sect", "page":
		r.endParagraph(false)
	case "line":
		r.runs.lineBreak()
	case "tab":
		r.char('\t', false)
	case "cell", "nestcell":
		r.endParagraph(true)
		r.row = append(r.row, Cell{Blocks: r.cellBlocks})
		r.cellBlocks = nil
	case "row", "nestrow":
		r.flushRow()
	case "emdash":
		r.char('—', false)
	case "endash":
		r.char('–', false)
	case "lquote":
		r.char('‘', false)
	case "rquote":
		r.char('’', false)
	case "ldblquote":
		r.char('“', false)
	case "rdblquote":
		r.char('”', false)
	case "bullet":
		r.char('•', false)
	case "emspace", "enspace", "qmspace":
		r.char(' ', false)
	}
}

// charsetCP is the code page of each \fcharset the reader decodes.
var charsetCP = map[int]int{0: 0, 1: 0, 77: 10000, 161: 1253, 162: 1254, 186: 1257, 204: 1251, 238: 1250, 255: 437}

// decoders are the single-byte code pages a \'hh byte may be in.
var decoders = map[int]*charmap.Charmap{
	1250: charmap.Windows1250, 1251: charmap.Windows1251, 1252: charmap.Windows1252, 1253: charmap.Windows1253,
	1254: charmap.Windows1254, 1257: charmap.Windows1257, 437: charmap.CodePage437, 850: charmap.CodePage850,
	10000: charmap.Macintosh, 28591: charmap.ISO8859_1, 28605: charmap.ISO8859_15,
}

// char adds a character of the text: raw is a byte in the code page (a
// \'hh escape, or an 8-bit byte written as is), decoded here.
func (r *rtfReader) char(c rune, raw bool) {
	if r.skipFallback > 0 {
		r.skipFallback--
		return
	}
	if r.cur.skip {
		return
	}
	if raw {
		cp := r.ansiCP
		if fcp, ok := r.fontCP[r.cur.font]; ok && fcp != 0 {
			cp = fcp
		}
		dec, ok := decoders[cp]
		if !ok {
			r.body.drop(fmt.Sprintf("character in code page %d", cp))
			c = '\ufffd'
		} else {
			c = dec.DecodeByte(byte(c))
		}
	}
	switch r.cur.dest {
	case "fonttbl":
		return
	case "stylesheet":
		r.styleName.WriteRune(c)
		return
	case "listtext", "pntext":
		r.marker.WriteRune(c)
		return
	}
	r.text(string(c))
}

// endStyle ends a stylesheet entry: a style named "heading N" makes its
// paragraphs headings.
func (r *rtfReader) endStyle() {
	name := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.styleName.String()), ";")))
	var lvl int
	if _, err := fmt.Sscanf(name, "heading %d", &lvl); err == nil && lvl >= 1 {
		r.headingOf[r.styleDef] = min(lvl, 6)
	}
	r.styleName.Reset()
	r.styleDef = 0
}

// text adds text in the current formatting to the paragraph.
func (r *rtfReader) text(s string) { r.runs.text(s, r.cur.bold, r.cur.italic, r.cur.underline) }

// endParagraph ends the paragraph: into the cell being read when the
// paragraph is in a table (or inCell says a \cell ends it), else into the
// body. An empty paragraph outside a table is a blank line, not kept.
func (r *rtfReader) endParagraph(inCell bool) {
	runs := r.runs.take()
	if inCell || r.intbl {
		if len(runs) > 0 {
			r.cellBlocks = append(r.cellBlocks, Block{Kind: Paragraph, Runs: runs})
		}
		return
	}
	if strings.TrimSpace(runsText(runs)) == "" {
		return
	}
	bl := Block{Kind: Paragraph, Runs: runs}
	switch {
	case r.heading > 0:
		bl.Kind, bl.Level = Heading, r.heading
	case r.listItem:
		marker := strings.TrimSpace(r.marker.String())
		bl.Kind, bl.Level = Item, r.level+1
		bl.Ordered = marker != "" && marker[0] >= '0' && marker[0] <= '9'
	}
	r.body.Blocks = append(r.body.Blocks, bl)
	r.openTable = -1
}

// flushRow ends a table row: to the table the rows before it went to, or
// a new one.
func (r *rtfReader) flushRow() {
	if len(r.cellBlocks) > 0 || !r.runs.empty() {
		r.endParagraph(true)
		r.row = append(r.row, Cell{Blocks: r.cellBlocks})
		r.cellBlocks = nil
	}
	if len(r.row) == 0 {
		return
	}
	if r.openTable < 0 {
		r.body.Blocks = append(r.body.Blocks, Block{Kind: Table})
		r.openTable = len(r.body.Blocks) - 1
	}
	t := &r.body.Blocks[r.openTable]
	t.Rows = append(t.Rows, r.row)
	r.row = nil
}
