package mapping

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
)

func loadText(t *testing.T, text string) (*Mapping, error) {
	t.Helper()
	// Written beside a copy of the fixtures, so that relative paths resolve
	// the same way and the source tree is never written to.
	path := filepath.Join(testenv.MappingFixture(t), "mapping.yaml")
	text = strings.ReplaceAll(text, "../../samples/codesets", filepath.Join(testenv.Root(), "samples", "codesets"))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(path)
}

func validText(t *testing.T) string {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// position gives the 1-based line and column where needle starts in text.
func position(text, needle string) (int, int) {
	i := strings.Index(text, needle)
	if i < 0 {
		return 0, 0
	}
	line := strings.Count(text[:i], "\n") + 1
	col := i - strings.LastIndex(text[:i], "\n")
	return line, col
}

func TestValidMappingLoads(t *testing.T) {
	m, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatalf("valid mapping: %v", err)
	}
	if m.Custodian.OID != "1.2.246.10.99999991.10.0" || m.Organiser != m.Custodian {
		t.Errorf("organisation: custodian %v organiser %v", m.Custodian, m.Organiser)
	}
	if len(m.SHA256) != 64 {
		t.Errorf("SHA256 = %q", m.SHA256)
	}
}

// Each kind of mapping error is reported at the place it stands, with a hint.
func TestMappingErrorsCarryPositions(t *testing.T) {
	cases := []struct {
		name    string
		old     string // replaced in the valid mapping
		new     string
		at      string // the error points where this text starts in the broken mapping
		message string
	}{
		{"unknown key", "  key: id\n  fields:\n    identity_code", "  key: id\n  kye: x\n  fields:\n    identity_code", "kye: x", "unknown field"},
		{"wrong type", "version: 1", "version: [1]", "[1]", ""},
		{"unknown target field", "    family_name: suku", "    family_nmae: suku", "family_nmae", `did you mean "family_name"`},
		{"required target unmapped", "    family_name: suku\n", "", "fields:\n    identity_code", `"family_name" is not mapped`},
		{"code outside code set", `{LP: "24", PH: "15"}`, `{LP: "24", PH: "16"}`, `"16"`, `code "16" is not in code set service-task`},
		{"unknown value map", "{from: nimi, map: nimi}", "{from: nimi, map: nimet}", "nimet}", `unknown value map "nimet"`},
		{"unknown source", "  source: asiat\n", "  source: asiatt\n", "asiatt", `unknown source "asiatt"`},
		{"unknown source kind", "{kind: xml, file: docs.xml", "{kind: json, file: docs.xml", "json", `unknown kind "json"`},
		{"option of another kind", "{kind: xml, file: docs.xml", "{kind: xml, sheet: Asiat, file: docs.xml", "Asiat", "sheet is not an option of source kind xml"},
		{"missing source file", "file: cases.csv", "file: kases.csv", "kases.csv", "no such file"},
		{"bad date pattern", "date: dd.MM.yyyy}\n    service_task: {from: palvelu", "date: DD.MM.yyyy}\n    service_task: {from: palvelu", "{from: auki", "unknown letter 'D'"},
		{"bad fallback", "    fallback: reject", "    fallback: 99", "fallback: 99", "fallback"},
		{"bad cutoff", "cutoff: 2024-01-01", "cutoff: 1.1.2024", "1.1.2024", "not a date"},
		{"bad oid", "oid_root: 1.2.246.10.99999991.95.1", "oid_root: 1.2.x", "1.2.x", "not an OID"},
		{"unknown code set", "{set: case-status,", "{set: case-state,", "{set: case-state", `unknown code set "case-state"`},
		{"constant outside code set", "    status: {from: tila, map: tila}", "    status: {value: \"7\"}", `"7"`, `code "7" is not in code set case-status`},
		{"duplicate target", "    given_names: etu\n", "    given_names: etu\n    given_names: etu\n", "given_names: etu\n    relationship_start", "already defined"},
		{"budget of an unknown entity", "test_rehearsal: true\n", "test_rehearsal: true\nerror_budget:\n  rejected: {clients: 2%}\n", "2%}", `unknown entity "clients"`},
		{"budget that is no limit", "test_rehearsal: true\n", "test_rehearsal: true\nerror_budget:\n  rejected: {client: lots}\n", "lots}", `neither a count (20) nor a percentage`},
		{"budget rule that does not reject", "test_rehearsal: true\n", "test_rehearsal: true\nerror_budget:\n  stop_on: [hetu-check, non-disclosure]\n", "non-disclosure]", `"non-disclosure" is not a rule that rejects`},
		{"syntax error", "clients:\n  source: asiakkaat", "clients:\n  source: [asiakkaat", "  key: id", "must be specified"},
		{"bad name order", "    family_name: suku\n", "    family_name: {from: suku, name_part: family, name_order: family-last}\n", "{from: suku, name_part", `name_order "family-last"`},
		{"bad name part", "    family_name: suku\n", "    family_name: {from: suku, name_part: sukunimi, name_order: family-first}\n", "{from: suku, name_part", `name_part "sukunimi"`},
		{"first_of beside from", "    family_name: suku\n", "    family_name: {from: suku, first_of: [suku, etu]}\n", "{from: suku, first_of", "first_of with from or value"},
		{"if_present without a column", "    status: {from: tila, map: tila}", "    status: {if_present: \"93\"}", `{if_present`, "if_present / if_empty without a column"},
		{"if_present outside the code set", "    status: {from: tila, map: tila}", "    status: {from: suljettu, if_present: \"7\", if_empty: \"92\"}", `{from: suljettu, if_present`, `code "7" is not in code set case-status`},
		{"derive without periods", "relationship_start: {from: alku, date: [dd.MM.yyyy]}", "relationship_start: {from: alku, date: [dd.MM.yyyy], derive: earliest_period}", "{from: alku, date: [dd.MM.yyyy], derive", "needs the clients' service-task periods"},
		{"collected documents without a service task", "    case: s\n    type: {from: t, map: tyyppi}\n    service_task: {from: p, map: palvelu}\n    drawn_up: {from: w, date: yyyy-MM-dd HH:mm}\n    text: txt", "    type: {from: t, map: tyyppi}\n    drawn_up: {from: w, date: yyyy-MM-dd HH:mm}\n    text: txt\n  without_case: {action: collect, name_other: Muut, status: \"93\"}", "fields:\n    client: a\n    type", "maps neither case nor service_task: every document would be rejected"},
		{"derive on another field", "    given_names: etu\n", "    given_names: {from: etu, derive: earliest_period}\n", "{from: etu, derive", "derive: earliest_period is for clients.relationship_start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			valid := validText(t)
			if !strings.Contains(valid, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			broken := strings.Replace(valid, c.old, c.new, 1)
			_, err := loadText(t, broken)
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("want mapping.Errors, got %v", err)
			}
			line, _ := position(broken, c.at)
			if line == 0 {
				t.Fatalf("broken mapping lacks %q", c.at)
			}
			found := false
			for _, e := range errs {
				if e.Pos.Line == line && strings.Contains(e.Error(), c.message) {
					found = true
					if e.Pos.Column < 1 {
						t.Errorf("no column: %v", e)
					}
					if !strings.Contains(e.Error(), fmt.Sprintf("%s:%d:%d: ", e.File, e.Pos.Line, e.Pos.Column)) {
						t.Errorf("error does not start with file:line:column: %q", e.Error())
					}
				}
			}
			if !found {
				t.Errorf("no error at line %d containing %q; got:\n%v", line, c.message, errs)
			}
		})
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	broken := strings.NewReplacer("    family_name: suku", "    family_nmae: suku", `{LP: "24", PH: "15"}`, `{LP: "24", PH: "16"}`).Replace(validText(t))
	_, err := loadText(t, broken)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) < 3 { // unknown target, family_name unmapped, bad code
		t.Fatalf("want at least 3 problems at once, got %v", err)
	}
	for i := 1; i < len(errs); i++ {
		if errs[i].Pos.Line < errs[i-1].Pos.Line {
			t.Errorf("errors not in file order: %v", errs)
		}
	}
}

// Empty entries, deep nesting and oversized files are positioned errors, not
// crashes or gigabytes of memory.
func TestBrokenShapesArePositionedErrors(t *testing.T) {
	deep := "clients: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n"
	for _, tc := range []struct {
		name, text, want string
		line, col        int
	}{
		{"empty value map", "version: 1\nvalue_maps: {x: }\n", `value_maps entry "x" is empty`, 2, 14},
		{"empty code set entry", "version: 1\ncodesets:\n  -\n", "a codesets entry is empty", 3, 3},
		{"flow code set entry with a bare dash", "version: 1\ncodesets: [ - ]\n", "could not find", 2, 0},
		{"empty source", "version: 1\nsources:\n  s:\n", `sources entry "s" is empty`, 3, 3},
		{"deep flow nesting", deep, "nest deeper than 64 levels", 1, 74},
		{"oversized", "version: 1\n# " + strings.Repeat("x", 1<<20) + "\n", "the limit is 1048576", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, tc.text)
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("want mapping errors, got %v", err)
			}
			e := errs[0]
			if !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("got %v, want %q", e, tc.want)
			}
			if tc.line != 0 && e.Pos.Line != tc.line {
				t.Errorf("at %d:%d, want line %d", e.Pos.Line, e.Pos.Column, tc.line)
			}
		})
	}
}

// A source kind registered elsewhere works in a mapping with no change to
// this package: its options reach it as text, options it does not take are
// refused at their position, and its own checks are reported there too.
func TestSourceKindFromOutsideTakesItsOwnOptions(t *testing.T) {
	extract.Register(extract.Kind{Name: "fixture-kind", Options: []string{"flavour", "batch"},
		Check: func(s extract.Spec) []extract.Problem {
			if s.Options["flavour"] == "bitter" {
				return []extract.Problem{{Option: "flavour", Message: "flavour bitter is not served", Hint: "sweet or sour"}}
			}
			return nil
		},
		Open: func(extract.Spec) (extract.Source, error) { return nil, errors.New("not opened in this test") }})
	t.Cleanup(func() { extract.Unregister("fixture-kind") }) // the mapping schema lists the kinds
	valid := validText(t)
	old := "asiakkaat: {kind: csv, file: clients.csv, delimiter: \";\"}"
	if !strings.Contains(valid, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	m, err := loadText(t, strings.Replace(valid, old, "asiakkaat: {kind: fixture-kind, flavour: sweet, batch: 500}", 1))
	if err != nil {
		t.Fatalf("a mapping over the new kind: %v", err)
	}
	if o := m.Of(kanta.EntityClient)[0].Source.Options; o["flavour"] != "sweet" || o["batch"] != "500" {
		t.Errorf("options reaching the kind: %v", o)
	}
	for _, c := range []struct{ text, at, message string }{
		{"asiakkaat: {kind: fixture-kind, flavour: sweet, sheet: A}", "A}", "sheet is not an option of source kind fixture-kind"},
		{"asiakkaat: {kind: fixture-kind, flavour: bitter}", "bitter", "flavour bitter is not served"},
	} {
		broken := strings.Replace(valid, old, c.text, 1)
		_, err := loadText(t, broken)
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("%s: want mapping.Errors, got %v", c.text, err)
		}
		line, col := position(broken, c.at)
		found := false
		for _, e := range errs {
			found = found || (e.Pos.Line == line && e.Pos.Column == col && strings.Contains(e.Msg, c.message))
		}
		if !found {
			t.Errorf("%s: no error %q at %d:%d in %v", c.text, c.message, line, col, errs)
		}
	}
}

// A system that keeps no cases maps none when every documents block
// collects its documents into cases made for them; a document that then
// names a case, or a block that does not collect, is refused.
func TestCasesMayBeLeftOutWhenEveryDocumentIsCollected(t *testing.T) {
	text := validText(t)
	start := strings.Index(text, "\ncases:\n")
	end := strings.Index(text, "\ndocuments:\n")
	noCases := text[:start] + text[end:]
	collect := strings.Replace(noCases, "  key: \"@id\"\n", "  key: \"@id\"\n  without_case: {action: collect, name_other: Siirto, status: \"92\"}\n", 1)
	for _, tc := range []struct {
		name, text, want string
	}{
		{"no cases, no collecting", noCases, "cases: section is missing"},
		{"collected, but a document names its case", collect, "case names a case, but the mapping maps no cases"},
		{"collected, no case named", strings.Replace(collect, "    case: s\n", "", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := loadText(t, tc.text)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "" && (len(m.Of(kanta.EntityCase)) != 0 || m.Of(kanta.EntityDocument)[0].WithoutCase == nil):
				t.Errorf("cases %d, documents collected: %v", len(m.Of(kanta.EntityCase)), m.Of(kanta.EntityDocument)[0].WithoutCase != nil)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// A mapping that carries scans as PDF/A outside a test rehearsal needs the
// display-format set's national export: check says so at pdfa_documents,
// and not once the export is loaded.
func TestPDFADocumentsNeedTheDisplayFormatExport(t *testing.T) {
	strict := strings.Replace(validText(t), "test_rehearsal: true\n", "pdfa_documents: true\n", 1)
	_, err := loadText(t, strict)
	line, _ := position(strict, "pdfa_documents: true")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(":%d:", line)) || !strings.Contains(err.Error(), "pdfa_documents (the fileFormat of every PDF/A document)") {
		t.Fatalf("got %v, want the PDF/A format refused at line %d", err, line)
	}
	export := filepath.Join(t.TempDir(), "formats.csv")
	if err := os.WriteFile(export, []byte("CodeId;LongName\n2;XHTML_1.1\n7;PDF/A-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded := strings.Replace(strict, "codesets:\n", "codesets:\n  - {set: display-format, file: "+export+", version: 1.2.246.537.6.1502.202401}\n", 1)
	if _, err := loadText(t, loaded); err != nil && strings.Contains(err.Error(), "pdfa_documents") {
		t.Errorf("with the export loaded: %v", err)
	}
}

// Sources that read one XML file at several record paths (a hierarchical
// export) each know the others' paths, so that none reads the others'
// elements as its own misplaced records; a source of another file does not.
func TestXMLSourcesOfOneFileKnowEachOthersRecords(t *testing.T) {
	text := strings.Replace(validText(t), "  asiakirjat: {kind: xml, file: docs.xml, record: /x/d}\n",
		"  asiakirjat: {kind: xml, file: docs.xml, record: /x/d}\n  liitteet: {kind: xml, file: docs.xml, record: /x/d/liite}\n  muut: {kind: xml, file: other.xml, record: /y/d}\n", 1)
	path := filepath.Join(testenv.MappingFixture(t), "mapping.yaml")
	text = strings.ReplaceAll(text, "../../samples/codesets", filepath.Join(testenv.Root(), "samples", "codesets"))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := LoadWithoutSources(path, kanta.BuiltinCodeSets()) // other.xml need not be there
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range m.Blocks() {
		if em.SourceName == "asiakirjat" {
			if got := em.Source.OtherRecords; len(got) != 1 || got[0] != "/x/d/liite" {
				t.Errorf("asiakirjat's other records: %v, want [/x/d/liite]", got)
			}
			return
		}
	}
	t.Fatal("no block reads asiakirjat")
}

// derive: client_service_task is a document's service task, and only that.
func TestDeriveClientServiceTaskIsForDocuments(t *testing.T) {
	text := strings.Replace(validText(t), "    service_task: {from: p, map: palvelu}\n    drawn_up", "    service_task: {derive: client_service_task}\n    drawn_up", 1)
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range m.Blocks() {
		if em.Entity == kanta.EntityDocument && !em.ServiceTaskFromClient() {
			t.Error("the documents block does not take its clients' service task")
		}
	}
	text = strings.Replace(validText(t), "    service_task: {from: palvelu, map: palvelu}\n", "    service_task: {from: palvelu, map: palvelu, derive: client_service_task}\n", 1)
	if _, err := loadText(t, text); err == nil || !strings.Contains(err.Error(), "derive: client_service_task for documents.service_task") {
		t.Errorf("a case's service task derived: %v", err)
	}
}
