package transform_test

import (
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// A body held as RTF or HTML reaches the display form as its paragraphs,
// formatting and tables, its Finnish letters right, and nothing of it
// that could run or fetch; the document notes the conversion. The wanted
// XHTML is written by hand.
func TestConvertedBodiesInTheDisplayForm(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	for _, tc := range []struct {
		name, format, text string
		want               []string
		not                []string
	}{
		{"rtf", "rtf", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0 P\'e4\'e4t\'f6s {\b my\'f6nnet\'e4\'e4n} \u8364?\par\trowd\cellx1000\cellx2000\intbl \'c5land\cell 5\cell\row\pard{\pict 89504e}Loppu\par}`,
			[]string{`<p>Päätös <b>myönnetään</b> €</p>`, `<table><tr><td><p>Åland</p></td><td><p>5</p></td></tr></table>`, `<p>Loppu</p>`}, []string{"pict", "89504e"}},
		{"html", "html", `<p>Hei <b>Äijä</b><script>alert(1)</script><img src="http://x/t.gif"></p><ul><li>yksi</li><li>kaksi</li></ul>`,
			[]string{`<p>Hei <b>Äijä</b></p>`, `<ul><li>yksi</li><li>kaksi</li></ul>`}, []string{"script", "alert", "img", "http://x"}},
		{"auto sniffs RTF", "auto", `{\rtf1\ansi \'e4iti\par}`, []string{`<p>äiti</p>`}, []string{`\rtf1`}},
		{"plain text stays text", "", `{\rtf1 not read}`, []string{`<p>{\rtf1 not read}</p>`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := transformtest.PlanDocument()
			doc.Text, doc.TextFormat = tc.text, tc.format
			out, err := tr.Document(doc, transform.IDs{Document: "1.2.246.10.99999991.95.1.3.9", Case: "1.2.246.10.99999991.95.1.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			xhtml := string(out.DisplayForm)
			for _, w := range tc.want {
				if !strings.Contains(xhtml, w) {
					t.Errorf("the display form lacks %s:\n%s", w, xhtml)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(xhtml, n) {
					t.Errorf("the display form holds %q:\n%s", n, xhtml)
				}
			}
			converted := false
			for _, n := range out.Notes {
				converted = converted || n.Rule == "body-converted"
			}
			if converted != (tc.format != "") {
				t.Errorf("notes %v", out.Notes)
			}
		})
	}
	doc := transformtest.PlanDocument()
	doc.Text, doc.TextFormat = `{\rtf1\ansi P\'e4\'e4t`, "rtf"
	if _, err := tr.Document(doc, transform.IDs{Document: "1.2.246.10.99999991.95.1.3.9", Case: "1.2.246.10.99999991.95.1.2.1"}); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("a truncated RTF: %v", err)
	}
	doc.TextFormat = "wordperfect"
	if _, err := tr.Document(doc, transform.IDs{Document: "1.2.246.10.99999991.95.1.3.9", Case: "1.2.246.10.99999991.95.1.2.1"}); err == nil || !strings.Contains(err.Error(), "unknown body format") {
		t.Errorf("an unknown format: %v", err)
	}
}
