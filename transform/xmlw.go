package transform

import (
	"bytes"
	"encoding/base64"
	"strconv"
)

// xw writes XML text into a buffer. Values are escaped here, once; callers
// pass element and attribute names as literals.
type xw struct {
	b bytes.Buffer
}

func (w *xw) raw(s string) { w.b.WriteString(s) }

func (w *xw) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		w.b.WriteString(s[last:i])
		w.b.WriteString(esc)
		last = i + 1
	}
	w.b.WriteString(s[last:])
}

func (w *xw) attrValue(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		case '\t':
			esc = "&#x9;"
		default:
			continue
		}
		w.b.WriteString(s[last:i])
		w.b.WriteString(esc)
		last = i + 1
	}
	w.b.WriteString(s[last:])
}

// open writes <name a1="v1" ...> ; attrs are name, value pairs; empty values are left out.
func (w *xw) open(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteByte('>')
}

// empty writes <name a1="v1" .../>.
func (w *xw) empty(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString("/>")
}

func (w *xw) start(name string, attrs []string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.attrValue(attrs[i+1])
		w.b.WriteByte('"')
	}
}

func (w *xw) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// elem writes <name attrs>text</name>.
func (w *xw) elem(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.text(text)
	w.close(name)
}

func (w *xw) nl() { w.b.WriteByte('\n') }

// base64 writes data Base64-encoded in lines of 76 characters, as MIME does,
// so that no line of the document grows with the size of the body.
func (w *xw) base64(data []byte) {
	w.b.Grow(base64Lines(len(data)))
	writeBase64Lines(&w.b, data)
}

// base64Lines is how many bytes writeBase64Lines writes for n bytes.
func base64Lines(n int) int {
	enc := base64.StdEncoding.EncodedLen(n)
	return enc + max(0, (enc-1)/76)
}

// writeBase64Lines writes data Base64-encoded in lines of 76 characters
// (57 bytes each), the last one without a line break, encoding a line at a
// time: the encoded text is never held whole beside where it is written.
func writeBase64Lines(b interface {
	Write([]byte) (int, error)
	WriteByte(byte) error
}, data []byte) {
	var line [76]byte
	for len(data) > 57 {
		base64.StdEncoding.Encode(line[:], data[:57])
		b.Write(line[:])
		b.WriteByte('\n')
		data = data[57:]
	}
	n := base64.StdEncoding.EncodedLen(len(data))
	base64.StdEncoding.Encode(line[:n], data)
	b.Write(line[:n])
}

func itoa(n int) string { return strconv.Itoa(n) }
