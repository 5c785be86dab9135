package pipeline

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

const arkistoMapping = "../mappings/asiakasarkisto-2003.yaml"

// arkistoExpected is samples/arkisto2003/expected.json, written by hand.
type arkistoExpected struct {
	Counts    map[string]report.Counts `json:"counts"`
	Rejects   []sampleFinding          `json:"rejects"`
	Skips     []sampleFinding          `json:"skips"`
	Generated []struct {
		Key, Opened, Closed, What string
	} `json:"generated_cases"`
	Archived int `json:"archived_documents"`
	PDFA     map[string]struct {
		From, Text string
	} `json:"pdfa_documents"`
	Attachments map[string]struct {
		Parent, Dated, Time string
	} `json:"attachments"`
	Display map[string][]string `json:"display_texts"`
	Never   []string            `json:"never_in_display"`
}

// needArkisto points the third sample system's mapping at its database,
// and finds the PDF/A route's tools.
func needArkisto(t *testing.T) *pdfa.Tools {
	t.Helper()
	if db == nil {
		testenv.Missing(t, "MariaDB (apt-get install mariadb-server)")
	}
	tools, err := pdfa.Find()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	t.Setenv("KANTAMIG_ARKISTO_DSN", db.ArkistoDSN)
	return tools
}

// The third sample system, a vendor's export of the 2000s with its texts as
// the editor wrote them and its documents as files on a share, goes through
// in one mapping and one run: every planted problem is rejected under the
// rule expected.json names, the RTF, HTML and Word texts read right in the
// display forms (nothing active left in them), and the PDFs and the TIFF
// scan are delivered as PDF/A that PDFBox Preflight passes and whose text
// is the source's.
func TestThirdSampleSystemInOneMappingAndOneRun(t *testing.T) {
	tools := needArkisto(t)
	var exp arkistoExpected
	data, err := os.ReadFile(filepath.Join("..", "samples", "arkisto2003", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	rep := dryRunMapping(t, arkistoMapping, Options{WorkDir: t.TempDir()})
	checkOutcomes(t, rep, exp.Counts, exp.Rejects, exp.Skips)
	if n := rep.Inferences[kanta.InferPDFA]; n != len(exp.PDFA) {
		t.Errorf("pdfa-storage-form counted %d, want %d", n, len(exp.PDFA))
	}

	dir := t.TempDir()
	st, res := runToPackage(t, arkistoMapping, dir)
	if res.Documents != exp.Archived {
		t.Errorf("%d documents in the package, want %d", res.Documents, exp.Archived)
	}
	files := packageFiles(t, filepath.Join(dir, "package"))
	bodyOf := func(source, key string) (mediaType string, content []byte) {
		t.Helper()
		row, err := st.Get(string(kanta.EntityDocument), mapping.QualifiedKey(source, key))
		if err != nil || row == nil || row.Outcome != state.Loaded {
			t.Fatalf("%s %s: %+v %v", source, key, row, err)
		}
		doc, err := os.ReadFile(filepath.Join(dir, "package", files[row.DocOID]))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`<text mediaType="([^"]+)" representation="B64">([^<]*)<`).FindSubmatch(doc)
		if m == nil {
			t.Fatalf("%s %s: no body text", source, key)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[2])), ""))
		if err != nil {
			t.Fatal(err)
		}
		return string(m[1]), raw
	}
	pdfs, attachments := 0, 0
	for _, file := range files {
		doc, err := os.ReadFile(filepath.Join(dir, "package", file))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(doc), `<text mediaType="application/pdf"`) {
			pdfs++
		}
		if strings.Contains(string(doc), `<relatedDocument typeCode="APND">`) {
			attachments++
		}
	}
	if attachments != rep.Inferences[kanta.InferAttachment] || attachments != len(exp.Attachments) {
		t.Errorf("the package holds %d attachments, the report counts %d (attachment-appended), expected.json %d", attachments, rep.Inferences[kanta.InferAttachment], len(exp.Attachments))
	}
	if pdfs != rep.Inferences[kanta.InferPDFA] {
		t.Errorf("the package holds %d PDF/A documents, the report counts %d (pdfa-storage-form)", pdfs, rep.Inferences[kanta.InferPDFA])
	}
	for key, want := range exp.PDFA {
		media, pdf := bodyOf("asiakirjat", key)
		if media != "application/pdf" {
			t.Errorf("document %s carries %s, want application/pdf", key, media)
			continue
		}
		valid, why, err := tools.Validate(context.Background(), pdf)
		if err != nil || !valid {
			t.Errorf("document %s's PDF is not valid PDF/A-1b as delivered: %s %v", key, why, err)
		}
		if want.Text != "" {
			if text := pdfText(t, pdf); !strings.Contains(text, want.Text) {
				t.Errorf("document %s's PDF/A reads %q, want it to hold %q", key, text, want.Text)
			}
		}
	}
	for key, want := range exp.Attachments {
		row, err := st.Get(string(kanta.EntityDocument), mapping.QualifiedKey("asiakirjat", key))
		if err != nil || row == nil {
			t.Fatalf("attachment %s: %v", key, err)
		}
		parent, err := st.Get(string(kanta.EntityDocument), mapping.QualifiedKey("asiakirjat", want.Parent))
		if err != nil || parent == nil {
			t.Fatalf("document %s: %v", want.Parent, err)
		}
		doc, err := os.ReadFile(filepath.Join(dir, "package", files[row.DocOID]))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{`<relatedDocument typeCode="APND"><parentDocument><id root="` + parent.DocOID + `"/>`,
			`<effectiveTime value="` + want.Time + `"/>`} {
			if !strings.Contains(string(doc), w) {
				t.Errorf("attachment %s lacks %s", key, w)
			}
		}
		listed := false
		for _, f := range rep.Warnings {
			listed = listed || (f.Key == key && f.Rule == kanta.RuleAttachment && strings.Contains(f.Reason, "attachment of document asiakirjat:"+want.Parent) && strings.Contains(f.Reason, "dated "+want.Dated))
		}
		if !listed {
			t.Errorf("attachment %s is not listed under document %s", key, want.Parent)
		}
	}
	for key, wants := range exp.Display {
		source := "muistiot"
		if strings.HasPrefix(key, "2") {
			source = "asiakirjat"
		}
		media, xhtml := bodyOf(source, key)
		if media != "application/xhtml+xml" {
			t.Errorf("%s %s carries %s, want a display form", source, key, media)
		}
		for _, w := range wants {
			if !strings.Contains(string(xhtml), w) {
				t.Errorf("%s %s: the display form lacks %q:\n%s", source, key, w, xhtml)
			}
		}
		for _, never := range exp.Never {
			if strings.Contains(string(xhtml), never) {
				t.Errorf("%s %s: the display form holds %q", source, key, never)
			}
		}
	}
	for _, g := range exp.Generated {
		row, err := st.Get(string(kanta.EntityCase), "generated:"+g.Key)
		if err != nil || row == nil || row.Outcome != state.Loaded {
			t.Errorf("case made for %s: %+v %v", g.What, row, err)
			continue
		}
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			t.Fatal(err)
		}
		if c.Opened.In(helsinkiZone).Format("2006-01-02") != g.Opened || c.Closed.In(helsinkiZone).Format("2006-01-02") != g.Closed {
			t.Errorf("case made for %s: %v – %v, want %s – %s", g.What, c.Opened, c.Closed, g.Opened, g.Closed)
		}
	}
}

// packageFiles maps each OID in a package's manifest to its document file.
func packageFiles(t *testing.T, pkg string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(pkg, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ OID, Document string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out[e.OID] = e.Document
	}
	return out
}

// pdfText is a PDF's text as poppler's pdftotext reads it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := testenv.Require(t, "pdftotext", "apt-get install poppler-utils")
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
