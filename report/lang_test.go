package report

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/kanta"
)

// technical are the string literals of write.go that are no words a
// person reads: formats, styles, cell names, map keys, error wrappers.
var technical = map[string]bool{
	"": true, " ": true, "  ": true, " / ": true, "'": true, "'!$2:$2": true, ")": true, ", ": true, "-": true, ".tmp": true,
	"808080": true, ": ": true, ":": true, "A": true, "A3": true, "DDEBF7": true, "Sheet1": true, "TableStyleLight1": true,
	"\n": true, "_": true, "_xlnm.Print_Titles": true, "bottom": true, "bottomLeft": true, "landscape": true, "left": true,
	"pattern": true, "top": true, "yyyy-mm-dd hh:mm:ss": true, "loaded": true, "pending": true,
	"creating report folder: %w": true, "encoding report: %w": true, "saving workbook: %w": true, "writing report: %w": true,
	"writing sheet %q: %w": true, "encoding the validation report: %w": true, "Europe/Helsinki": true, "%s: %s": true, ": %s": true, // with rejected or skipped before it, a template of the table
}

// The Finnish table is complete: every label and template write.go writes,
// and every rule's meaning, has its Finnish, with the same fmt verbs.
func TestEveryLabelHasItsFinnish(t *testing.T) {
	for _, file := range []string{"write.go", "validation.go"} {
		labelsOf(t, file)
	}
	for _, r := range kanta.Rules {
		if _, ok := finnish[r.Meaning]; !ok {
			t.Errorf("no Finnish for the meaning of rule %s: %q", r.Name, r.Meaning)
		}
	}
	for _, in := range kanta.Inferences {
		for _, text := range []string{in.Meaning, in.Confirm} {
			if _, ok := finnish[text]; !ok {
				t.Errorf("no Finnish for inference %s: %q", in.Name, text)
			}
		}
	}
	for en, fi := range finnish {
		if strings.Count(en, "%") != strings.Count(fi, "%") {
			t.Errorf("%q and its Finnish %q have other fmt verbs", en, fi)
		}
	}
}

// labelsOf requires a Finnish entry for every string literal of a Go file
// that is a word a person reads.
func labelsOf(t *testing.T, file string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ImportSpec, *ast.Field:
			return false // paths and struct tags
		case *ast.BasicLit:
			if x.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(x.Value)
			if err != nil || technical[s] {
				return true
			}
			if _, ok := finnish[s]; !ok {
				t.Errorf("no Finnish for %q in %s (report/lang_fi.go)", s, file)
			}
		}
		return true
	})
}

// A run's workbook in Finnish: its sheets have Finnish names and no cell
// holds an English label; a rule's meaning is in Finnish beside its name.
func TestAFinnishWorkbookHasNoEnglishLabel(t *testing.T) {
	r := New(Settings{System: "Testi", TimeZone: "Europe/Helsinki", Language: Finnish, TestRehearsal: true, Sample: "10 clients"})
	r.Count("client", "asiakkaat", OutcomeLoad)
	r.Read("client", "asiakkaat", 2, nil, "")
	r.Reject(Finding{Locator: "a.csv:3", Entity: "client", Source: "asiakkaat", Key: "A1", Rule: kanta.RuleHetuCheck, Reason: "wrong"})
	r.Skip(Finding{Locator: "a.csv:4", Entity: "client", Source: "asiakkaat", Key: "A2", Rule: kanta.RuleCutoff, Reason: "late"})
	r.Warn(Finding{Locator: "a.csv:5", Entity: "client", Source: "asiakkaat", Key: "A3", Rule: kanta.RuleSexCode, Reason: "x"})
	r.Refuse(Finding{Locator: "d.xml:1", Entity: "document", Source: "asiakirjat", Key: "D1", Rule: kanta.RuleArchiveRejected, Reason: "HTTP 422"})
	r.AddUnmapped("palvelu", "palvelu", "XX", "a.csv:6")
	r.StateCounts = map[string]map[string]int{"client": {"loaded": 1, "pending": 1}}
	r.Budget = &BudgetState{Set: true, Lines: []BudgetLine{{Entity: "client", Limit: "1%", Records: 2, Rejected: 1, Exceeded: true, Rules: []string{"hetu-check (1)"}}}}
	r.DocumentsByType = map[string]*Counts{"1 Arvio": {Extracted: 1}}
	r.Finish()
	wb := writtenWorkbook(t, r)
	want := []string{"Yhteenveto", "Asiakirjatyypeittäin", "Palvelutehtävittäin", "Hylätyt", "Ohitetut", "Arkiston torjumat", "Varoitukset", "Kuvaamattomat arvot", "Asetukset"}
	if got := wb.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sheets %v, want %v", got, want)
	}
	seen := false
	for _, sheet := range wb.GetSheetList() {
		rows, _ := wb.GetRows(sheet)
		for i, row := range rows {
			for _, cell := range row {
				if _, english := finnish[cell]; english && !technical[cell] {
					t.Errorf("%s row %d: an English label %q", sheet, i+1, cell)
				}
				if cell == "henkilötunnus: väärä tarkistusmerkki" {
					seen = true
				}
			}
		}
	}
	if !seen {
		t.Error("the Summary does not give the rule's meaning in Finnish")
	}
}
