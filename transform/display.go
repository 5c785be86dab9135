package transform

import (
	"fmt"
	"strings"
	"time"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/kanta"
)

// display builds the XHTML display form (näyttömuoto): the soc-* structure of
// the archive's examples, with the structured content rendered in the order and
// under the Finnish names of its Sosmeta definition, followed by the legacy text.
type display struct {
	id         string // document OID
	org        string // soc-hdr1
	typeName   string // soc-hdr2
	date       string // soc-hdr3: the document's date, as the samples' comment on it says (Päivämäärä)
	unit       string // soc-ftr1: the service unit
	title      string // soc-fulltitle
	schemaNode map[string]any
	structured map[string]any
	textTitle  string
	text       *body.Body
	// before and after are sections of lines shown before and after the
	// legacy text (the client and author of a document without a
	// structured form; a replacing version's reason).
	before, after []section
	footer        string
	// flat renders the structured content as the client-relationship
	// sample does: each part a heading and one paragraph of "Label: value"
	// lines, not a list of lists.
	flat bool
}

func (d *display) render() []byte {
	var w xw
	w.open("div", "class", "soc-document", "id", "OID"+d.id, "xmlns", "http://www.w3.org/1999/xhtml")
	w.nl()
	w.open("div", "class", "soc-header")
	w.elem("div", d.org, "class", "soc-hdr1")
	w.elem("div", d.typeName, "class", "soc-hdr2")
	w.elem("div", d.date, "class", "soc-hdr3")
	w.close("div")
	w.nl()
	w.open("div", "class", "soc-main-wrapper")
	w.nl()
	w.elem("h1", d.title, "class", "soc-fulltitle")
	w.nl()
	switch {
	case d.structured != nil && d.schemaNode != nil && d.flat:
		renderFlat(&w, d.schemaNode, d.structured)
	case d.structured != nil && d.schemaNode != nil:
		renderObject(&w, d.schemaNode, d.structured, 1)
	}
	for _, s := range d.before {
		s.render(&w)
	}
	if d.text != nil && len(d.text.Blocks) > 0 {
		socItem(&w, "h1", d.textTitle, func() { renderBlocks(&w, d.text.Blocks) })
	}
	for _, s := range d.after {
		s.render(&w)
	}
	w.close("div")
	w.nl()
	w.open("div", "class", "soc-footer")
	w.elem("div", d.unit, "class", "soc-ftr1")
	w.elem("div", d.footer, "class", "soc-ftr2")
	w.elem("div", "Asiakirjan tunniste "+d.id, "class", "soc-ftr3")
	w.close("div")
	w.nl()
	w.close("div")
	return w.b.Bytes()
}

// section is a titled item of the display form: its lines in one
// paragraph, as the plan sample shows its client and author.
type section struct {
	title string
	lines []string
}

func (s section) render(w *xw) {
	socItem(w, "h1", s.title, func() {
		w.open("p")
		for i, l := range s.lines {
			if i > 0 {
				w.raw("<br/>")
			}
			w.text(l)
		}
		w.close("p")
	})
}

// socItem writes one titled item of the display form as the archive's
// samples shape it: soc-list, soc-item, its title in a heading of the
// given tag, and content writing what soc-content holds.
func socItem(w *xw, heading, title string, content func()) {
	w.open("div", "class", "soc-list")
	w.open("div", "class", "soc-item")
	w.elem(heading, title, "class", "soc-title")
	w.open("div", "class", "soc-content")
	content()
	w.close("div")
	w.close("div")
	w.close("div")
	w.nl()
}

// renderBlocks writes a legacy body (package body) as XHTML: paragraphs
// with their line breaks, bold, italic and underline; headings below the
// text's own title (h2 for the body's first level); lists as ul or ol,
// nested by depth; tables with their header cells. Only these elements
// are written, and every text through the writer's escaping.
func renderBlocks(w *xw, blocks []body.Block) {
	var lists []bool // the open lists, true for an ordered one
	closeLists := func(depth int) {
		for len(lists) > depth {
			w.close(listTag(lists[len(lists)-1]))
			lists = lists[:len(lists)-1]
		}
	}
	for _, b := range blocks {
		if b.Kind != body.Item {
			closeLists(0)
		}
		switch b.Kind {
		case body.Heading:
			w.open("h" + itoa(min(b.Level+1, 6)))
			renderRuns(w, b.Runs)
			w.close("h" + itoa(min(b.Level+1, 6)))
		case body.Item:
			depth := max(b.Level, 1)
			if len(lists) >= depth && lists[depth-1] != b.Ordered {
				closeLists(depth - 1)
			}
			closeLists(depth)
			for len(lists) < depth {
				lists = append(lists, b.Ordered)
				w.open(listTag(b.Ordered))
			}
			w.open("li")
			renderRuns(w, b.Runs)
			w.close("li")
		case body.Table:
			w.open("table")
			for _, row := range b.Rows {
				w.open("tr")
				for _, c := range row {
					tag := "td"
					if c.Header {
						tag = "th"
					}
					w.open(tag)
					renderBlocks(w, c.Blocks)
					w.close(tag)
				}
				w.close("tr")
			}
			w.close("table")
		default:
			w.open("p")
			renderRuns(w, b.Runs)
			w.close("p")
		}
	}
	closeLists(0)
}

// listTag is the element of a numbered or a bulleted list.
func listTag(ordered bool) string {
	if ordered {
		return "ol"
	}
	return "ul"
}

// renderRuns writes runs of text with their formatting.
func renderRuns(w *xw, runs []body.Run) {
	for _, r := range runs {
		if r.Break {
			w.raw("<br/>")
			continue
		}
		var tags []string
		for _, f := range []struct {
			on  bool
			tag string
		}{{r.Bold, "b"}, {r.Italic, "i"}, {r.Underline, "u"}} {
			if f.on {
				tags = append(tags, f.tag)
				w.open(f.tag)
			}
		}
		w.text(r.Text)
		for i := len(tags) - 1; i >= 0; i-- {
			w.close(tags[i])
		}
	}
}

func renderObject(w *xw, node map[string]any, obj map[string]any, depth int) {
	props, _ := node["properties"].(map[string]any)
	for _, name := range orderedProps(node) {
		v, ok := obj[name]
		if !ok {
			continue
		}
		pn, _ := props[name].(map[string]any)
		title := finnishName(pn)
		if title == "" {
			title = name
		}
		socItem(w, "h"+itoa(min(depth, 6)), title, func() { renderValue(w, pn, v, depth+1) })
	}
}

func renderValue(w *xw, node map[string]any, v any, depth int) {
	switch val := v.(type) {
	case []any:
		items, _ := node["items"].(map[string]any)
		for _, item := range val {
			renderValue(w, items, item, depth)
		}
	case map[string]any:
		if s, ok := leafText(val); ok {
			w.elem("p", s)
			return
		}
		renderObject(w, node, val, depth)
	default:
		w.elem("p", scalarText(val))
	}
}

// leafText renders a code ({code, display}) or an identifier ({system, value}) as one line.
func leafText(m map[string]any) (string, bool) {
	if d, ok := m["display"].(string); ok {
		if c, ok := m["code"].(string); ok && !strings.HasPrefix(d, c) && len(c) < 8 {
			return fmt.Sprintf("%s (%s)", d, c), true
		}
		return d, true
	}
	if v, ok := m["value"].(string); ok && len(m) <= 2 {
		if m["system"] == idRootHetu {
			// Masked, as the real archive samples show it (kanta.NationalRules).
			return kanta.MaskIdentityCode(v), true
		}
		return v, true
	}
	return "", false
}

func scalarText(v any) string {
	switch val := v.(type) {
	case bool:
		if val {
			return "Kyllä"
		}
		return "Ei"
	case string:
		if t, err := time.Parse("2006-01-02", val); err == nil {
			return t.Format("2.1.2006")
		}
		return val
	}
	return fmt.Sprint(v)
}

// renderFlat renders a structure as the client-relationship sample does:
// a value of the top level as a paragraph "Label: value"; a part as a
// heading and one paragraph of "Label: value" lines, its sub-parts under a
// bold label.
func renderFlat(w *xw, node, obj map[string]any) {
	props, _ := node["properties"].(map[string]any)
	for _, name := range orderedProps(node) {
		v, ok := obj[name]
		if !ok {
			continue
		}
		pn, _ := props[name].(map[string]any)
		title := titleOf(pn, name)
		if s, leaf := flatLeaf(v); leaf {
			w.elem("p", title+": "+s)
			w.nl()
			continue
		}
		w.elem("h1", title, "class", "soc-fulltitle")
		w.open("div", "class", "soc-list")
		w.open("div", "class", "soc-item")
		w.open("div", "class", "soc-content")
		w.open("p")
		flatLines(w, pn, v)
		w.close("p")
		w.close("div")
		w.close("div")
		w.close("div")
		w.nl()
	}
}

// flatLines writes a part's values as lines, "Label: value<br/>", a nested
// part after a blank line under its bold label.
func flatLines(w *xw, node map[string]any, v any) {
	switch val := v.(type) {
	case []any:
		items, _ := node["items"].(map[string]any)
		for i, item := range val {
			if i > 0 {
				w.raw("<br/>")
			}
			flatLines(w, items, item)
		}
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		for _, name := range orderedProps(node) {
			sub, ok := val[name]
			if !ok {
				continue
			}
			pn, _ := props[name].(map[string]any)
			title := titleOf(pn, name)
			if s, leaf := flatLeaf(sub); leaf {
				w.text(title + ": " + s)
				w.raw("<br/>")
				continue
			}
			w.raw("<br/>")
			w.elem("b", title)
			w.raw("<br/>")
			flatLines(w, pn, sub)
		}
	default:
		w.text(scalarText(val))
		w.raw("<br/>")
	}
}

// flatLeaf gives a value's text when it is one line: a scalar, a code or an
// identifier.
func flatLeaf(v any) (string, bool) {
	switch val := v.(type) {
	case map[string]any:
		return leafText(val)
	case []any:
		return "", false
	}
	return scalarText(v), true
}

func titleOf(node map[string]any, name string) string {
	if t := finnishName(node); t != "" {
		return t
	}
	return name
}
