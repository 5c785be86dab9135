package body

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// text renders a body as a short string a test can state by hand:
// blocks on lines, "P:" a paragraph, "H2:" a heading, "*"/"1." a list
// item, "T:" a table's rows as cells between bars; **bold**, _italic_,
// ~underline~, "/" a line break.
func text(b *Body) string {
	var out []string
	for _, bl := range b.Blocks {
		out = append(out, blockText(bl))
	}
	return strings.Join(out, "\n")
}

func blockText(bl Block) string {
	switch bl.Kind {
	case Heading:
		return "H" + string(rune('0'+bl.Level)) + ": " + runText(bl.Runs)
	case Item:
		if bl.Ordered {
			return strings.Repeat(" ", bl.Level-1) + "1. " + runText(bl.Runs)
		}
		return strings.Repeat(" ", bl.Level-1) + "* " + runText(bl.Runs)
	case Table:
		var rows []string
		for _, r := range bl.Rows {
			var cells []string
			for _, c := range r {
				var parts []string
				for _, cb := range c.Blocks {
					parts = append(parts, runText(cb.Runs))
				}
				h := ""
				if c.Header {
					h = "#"
				}
				cells = append(cells, h+strings.Join(parts, "+"))
			}
			rows = append(rows, "|"+strings.Join(cells, "|")+"|")
		}
		return "T: " + strings.Join(rows, " ")
	}
	return "P: " + runText(bl.Runs)
}

func runText(rs []Run) string {
	var s strings.Builder
	for _, r := range rs {
		if r.Break {
			s.WriteString("/")
			continue
		}
		t := r.Text
		if r.Underline {
			t = "~" + t + "~"
		}
		if r.Italic {
			t = "_" + t + "_"
		}
		if r.Bold {
			t = "**" + t + "**"
		}
		s.WriteString(t)
	}
	return s.String()
}

// checkLeftOut holds a body's summary to what was left out of it: want,
// or nothing when want is "".
func checkLeftOut(t *testing.T, b *Body, want string) {
	t.Helper()
	if s := b.Summary(); want != "" && !strings.Contains(s, "left out: "+want) || want == "" && strings.Contains(s, "left out") {
		t.Errorf("summary %q, want left out %q", s, want)
	}
}

func TestRTF(t *testing.T) {
	for _, tc := range []struct {
		name, rtf, want string
		dropped         string
	}{
		{"code page 1252 bytes", `{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}}\f0\pard \'e4 \'f6 \'e5 \'c4 \'d6 \'c5 \'80 \'96 \'93\'94\par}`,
			"P: ä ö å Ä Ö Å € – “”", ""},
		{"unicode escapes and their fallbacks", `{\rtf1\ansi\uc1 P\u228?iv\u228?k\u228?ti \u8364?5 \u8211? \u8220?lainaus\u8221?\par}`,
			"P: Päiväkäti €5 – “lainaus”", ""},
		{"two fallback bytes per escape", `{\rtf1\ansi{\uc2\u246\'6f\'22}ljy\par}`, "P: öljy", ""},
		{"bold, italic, underline in groups", `{\rtf1\ansi Tavallinen {\b lihava} {\i kursiivi} \ul alle\ulnone  loppu.\par}`,
			"P: Tavallinen **lihava** _kursiivi_ ~alle~ loppu.", ""},
		{"paragraphs and line breaks", `{\rtf1\ansi Eka rivi\line toka rivi\par\par Toinen kappale\par}`, "P: Eka rivi/toka rivi\nP: Toinen kappale", ""},
		{"a table", `{\rtf1\ansi\pard Ennen\par\trowd\cellx2000\cellx4000\pard\intbl Nimi\cell Arvo\cell\row\trowd\cellx2000\cellx4000\pard\intbl {\b Aino}\cell 5\cell\row\pard J\'e4lkeen\par}`,
			"P: Ennen\nT: |Nimi|Arvo| |**Aino**|5|\nP: Jälkeen", ""},
		{"a font in code page 1250", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f1\fcharset238 Arial CE;}}\f0 \'e8 {\f1 \'e8}\par}`, "P: è č", ""},
		{"a heading style and a list", `{\rtf1\ansi{\stylesheet{\s0 Normal;}{\s1 heading 1;}}\pard\s1 Otsikko\par\pard{\listtext\'b7\tab}\ls1\ilvl0 kohta\par\pard{\listtext 1.\tab}\ls2 numero\par}`,
			"H1: Otsikko\n* kohta\n1. numero", ""},
		{"skipped destinations and a picture", `{\rtf1\ansi{\*\generator Riched20 10.0;}{\info{\author X}}{\colortbl;\red0\green0\blue0;}Teksti{\pict\pngblip 89504e47}\par}`,
			"P: Teksti", "1 picture"},
		{"escaped braces and backslash", `{\rtf1\ansi a\{b\}c\\d\par}`, `P: a{b}c\d`, ""},
		{"8-bit bytes written as they are", "{\\rtf1\\ansi\\ansicpg1252 \xe4iti\\par}", "P: äiti", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Read(RTF, []byte(tc.rtf))
			if err != nil {
				t.Fatal(err)
			}
			if got := text(b); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			checkLeftOut(t, b, tc.dropped)
		})
	}
}

func TestRTFThatCannotBeRead(t *testing.T) {
	for _, tc := range []struct{ name, rtf, want string }{
		{"truncated", `{\rtf1\ansi{\fonttbl{\f0 Arial;}}Teksti joka katkea`, "cut short"},
		{"not RTF", `Tavallista tekstiä`, "not RTF"},
		{"a stray closing brace", `{\rtf1 a}}`, ""},
		{"cut inside an escape", `{\rtf1 a\'e`, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(RTF, []byte(tc.rtf))
			if tc.want == "" {
				if err != nil {
					t.Errorf("text after the document's group is not read: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// An HTML that declares UTF-8 and holds other bytes is refused: decoding
// it would put replacement characters where its letters were.
func TestHTMLDeclaringUTF8WithOtherBytesIsRefused(t *testing.T) {
	data := []byte("<html><head><meta charset=\"utf-8\"></head><body><p>P\xe4iv\xe4</p></body></html>")
	_, err := Read(Auto, data)
	if err == nil || !strings.Contains(err.Error(), "declares UTF-8, but its bytes are not UTF-8 (byte 51 is 0xe4)") {
		t.Errorf("got %v", err)
	}
}

func TestHTML(t *testing.T) {
	for _, tc := range []struct {
		name, html, want, charset, dropped string
	}{
		{"scripts, images and links", `<html><head><title>x</title><script>alert(1)</script></head><body><p onclick="x()">Hei <a href="http://evil.example/">linkki</a><img src="http://evil.example/t.gif"></p><script>steal()</script></body></html>`,
			"P: Hei linkki", "utf-8", "1 image, 2 script"},
		{"formatting and breaks", `<p>Yksi <b>lihava</b> ja <em>kursiivi</em><br>uusi rivi</p><div>Toinen &amp; kolmas</div>`,
			"P: Yksi **lihava** ja _kursiivi_/uusi rivi\nP: Toinen & kolmas", "utf-8", ""},
		{"lists and headings", `<h2>Otsikko</h2><ul><li>eka<ul><li>sisempi</li></ul></li></ul><ol><li>numero</li></ol>`,
			"H2: Otsikko\n* eka\n * sisempi\n1. numero", "utf-8", ""},
		{"a table with a header row", `<table><tr><th>Nimi</th><th>Arvo</th></tr><tr><td>Aino</td><td><p>5</p><p>6</p></td></tr></table>`,
			"T: |#Nimi|#Arvo| |Aino|5+6|", "utf-8", ""},
		{"unclosed tags as a browser reads them", `<p>eka<p>toka <b>lihava<p>kolmas`, "P: eka\nP: toka **lihava**\nP: **kolmas**", "utf-8", ""},
		{"windows-1252 without a declaration", "<p>P\xe4iv\xe4 \x80 \x96 \x93lainaus\x94</p>", "P: Päivä € – “lainaus”", "windows-1252 (sniffed: the HTML declares no character set)", ""},
		{"a declared ISO-8859-1", "<html><head><meta charset=\"iso-8859-1\"></head><body><p>\xc5land \xf6</p></body></html>", "P: Åland ö", "windows-1252", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Read(HTML, []byte(tc.html))
			if err != nil {
				t.Fatal(err)
			}
			if got := text(b); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if b.Charset != tc.charset {
				t.Errorf("charset %q, want %q", b.Charset, tc.charset)
			}
			checkLeftOut(t, b, tc.dropped)
		})
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]Format{
		`{\rtf1\ansi x}`:          RTF,
		"\ufeff{\\rtf1 x}":        RTF,
		"<!DOCTYPE html><html>":   HTML,
		"  <P>Kappale</P>":        HTML,
		"Tavallinen <b> teksti":   Text,
		"1 < 2 ja 3 > 2":          Text,
		"":                        Text,
		"%PDF-1.4\n%\xe2\xe3":     PDF,
		"II*\x00\x08\x00":         TIFF,
		"MM\x00*\x00\x00\x00\x08": TIFF,
		"\x89PNG\r\n":             Text, // refused by Read as not UTF-8, naming image/png
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %s, want %s", in, got, want)
		}
	}
}

// docx zips the parts of a Word file, written as Word writes them.
func docx(t *testing.T, document string, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><w:body>` + document + `<w:sectPr/></w:body></w:document>`,
	}
	for k, v := range extra {
		parts[k] = v
	}
	for name, content := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDOCX(t *testing.T) {
	styles := `<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
		`<w:style w:type="paragraph" w:styleId="Otsikko1"><w:name w:val="heading 1"/></w:style>` +
		`<w:style w:type="paragraph" w:styleId="Luettelokappale"><w:name w:val="List Paragraph"/></w:style></w:styles>`
	numbering := `<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
		`<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>` +
		`<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>` +
		`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>`
	doc := `<w:p><w:pPr><w:pStyle w:val="Otsikko1"/><w:rPr><w:b/></w:rPr></w:pPr><w:r><w:t>Päätös</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t xml:space="preserve">Asiakas </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Äijälä</w:t></w:r><w:r><w:rPr><w:i/><w:b w:val="0"/></w:rPr><w:t xml:space="preserve"> Åland</w:t></w:r><w:r><w:br/><w:t>€ – “x”</w:t></w:r></w:p>` +
		`<w:p><w:pPr><w:pStyle w:val="Luettelokappale"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>kohta</w:t></w:r></w:p>` +
		`<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>numero</w:t></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Kuukausi</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Määrä</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Tammikuu</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>60</w:t></w:r></w:p><w:p><w:r><w:t>€</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`<w:p><w:r><w:t>Ennen</w:t></w:r><w:del><w:r><w:delText>poistettu</w:delText></w:r></w:del><w:r><w:drawing><wp:inline/></w:drawing></w:r><w:r><w:t xml:space="preserve"> jälkeen</w:t></w:r></w:p>`
	b, err := Read(Auto, docx(t, doc, map[string]string{"word/styles.xml": styles, "word/numbering.xml": numbering}))
	if err != nil {
		t.Fatal(err)
	}
	want := "H1: Päätös\nP: Asiakas **Äijälä**_ Åland_/€ – “x”\n* kohta\n1. numero\nT: |Kuukausi|Määrä| |Tammikuu|60+€|\nP: Ennen jälkeen"
	if got := text(b); got != want || b.Format != DOCX {
		t.Errorf("%s: got\n%s\nwant\n%s", b.Format, got, want)
	}
	if !strings.Contains(b.Summary(), "left out: 1 picture") {
		t.Errorf("summary %q", b.Summary())
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"a legacy .doc", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...), "legacy Word .doc"},
		{"a zip without a document", func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("x.txt")
			w.Write([]byte("x"))
			zw.Close()
			return buf.Bytes()
		}(), "no word/document.xml"},
		{"a cut zip", docx(t, doc, nil)[:200], "not a zip"},
	} {
		if _, err := Read(DOCX, tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// Only plain text may be decoded in an encoding the mapping names: a
// Windows-1252 text is plain, a legacy .doc, a picture and rich text are not.
func TestPlainBytes(t *testing.T) {
	for in, want := range map[string]bool{
		"P\xe4iv\xe4 \x96 \x93lainaus\x94\r\n":     true,
		"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00": false,
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR":      false,
		`{\rtf1\ansi P\'e4iv\'e4}`:                 false,
		"<p>P\xe4iv\xe4</p>":                       false,
		"%PDF-1.4\n\xe2\xe3":                       false,
	} {
		if got := PlainBytes([]byte(in)); got != want {
			t.Errorf("PlainBytes(%q) = %v, want %v", in, got, want)
		}
	}
}

// An empty body (a NULL BLOB, an empty file) is no text in any format,
// never an unreadable RTF, HTML or Word file.
func TestAnEmptyBodyIsNoText(t *testing.T) {
	for _, f := range Formats {
		b, err := Read(f, []byte(" \r\n"))
		if err != nil || len(b.Blocks) != 0 || b.Format != Text {
			t.Errorf("%s: %+v, %v; want an empty text", f, b, err)
		}
	}
}

// Bytes that are neither UTF-8 text nor a format given are refused with
// what they look like.
func TestUnknownBytesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{[]byte("%PDF-1.4\n\xe2\xe3\xcf\xd3 binary"), "carried as PDF/A"}, // a scan, never read as text
		{[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff"), "image/png"},
		{append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), 0xff, 0xfe), "legacy Word .doc"},
		{[]byte("P\xe4iv\xe4"), "not UTF-8"},
	} {
		if _, err := Read(Auto, tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %q", tc.data[:4], err, tc.want)
		}
	}
}

// BenchmarkRTFLongParagraph reads one paragraph of 1 MB: the time must
// grow with the size, not with its square.
func BenchmarkRTFLongParagraph(b *testing.B) {
	data := []byte(`{\rtf1\ansi\ansicpg1252 ` + strings.Repeat(`P\'e4iv\'e4\'e4 `, 1<<20/12) + `\par}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(RTF, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTMLManySpans reads one paragraph of 100,000 spans of the same
// formatting: one run, built in time that grows with the size.
func BenchmarkHTMLManySpans(b *testing.B) {
	data := []byte("<p>" + strings.Repeat("<span>päivää </span>", 100000) + "</p>")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(HTML, data); err != nil {
			b.Fatal(err)
		}
	}
}
