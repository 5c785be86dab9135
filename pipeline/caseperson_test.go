package pipeline

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// casePersons are persons related to the small sample's cases: one that
// goes into its case's document, and one for each way of being refused.
const casePersons = `id;asia;suku;etu;hetu;rooli
H1;S000001;Testinen;Veikko;010170-961H;isä
H2;S999999;Testinen;Sanni;;a case no export has
H3;S000001;Testinen;Onni;010170-962K;an identity code that fails its check
H4;S000001;;Ella;;no family name
`

// withCasePersons is the small sample's mapping with the case_persons
// section reading casePersons, written into dir.
func withCasePersons(t *testing.T, dir string) string {
	t.Helper()
	return smallWithCSV(t, dir, "henkilot", casePersons, func(text string) string {
		return strings.Replace(text, "documents:\n", `case_persons:
  source: henkilot
  key: id
  fields:
    case: asia
    family_name: suku
    given_names: etu
    identity_code: hetu
    role_description: rooli
documents:
`, 1)
	})
}

// A kind written generically (entity.CasePerson) goes end to end with no
// code of its own: each record is counted and reconciled, refused for its
// reason, and carried in its case's document, which the judge takes.
func TestPersonsRelatedToCasesAreCarriedInTheCaseDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := withCasePersons(t, dir)
	rep := dryRunMapping(t, file, Options{WorkDir: t.TempDir()})
	if want := (report.Counts{Extracted: 4, WouldLoad: 1, Rejected: 3}); counted(t, rep.Entities["case_person"]) != want {
		t.Errorf("persons related to cases: %+v, want %+v", rep.Entities["case_person"], want)
	}
	if !rep.Reconciles() {
		t.Errorf("does not reconcile: %+v", rep.Total)
	}
	rules := map[string]string{}
	for _, f := range rep.Rejects {
		if f.Entity == "case_person" {
			rules[f.Key] = f.Rule
		}
	}
	if want := map[string]string{"H2": "case-missing", "H3": "hetu-check", "H4": "required"}; !maps.Equal(rules, want) {
		t.Errorf("rejected %v, want %v", rules, want)
	}

	st, _ := runToPackage(t, file, dir)
	row, err := st.Get("case_person", "henkilot:H1")
	if err != nil || row == nil || row.Outcome != state.Loaded {
		t.Fatalf("H1 after the run: %+v, %v", row, err)
	}
	crow, err := st.Get("case", "asiat:S000001")
	if err != nil || crow == nil {
		t.Fatalf("the case: %v", err)
	}
	display, doc := bodyOf(t, filepath.Join(dir, "package"), crow.DocOID)
	if !strings.Contains(string(display), "Muut asiaan liittyvät henkilöt") || !strings.Contains(string(display), "Veikko") {
		t.Errorf("the case document's display form does not show the person:\n%s", display)
	}
	var form struct {
		Case struct {
			Persons []map[string]any `json:"muut_asiaan_liittyvat_henkilot"`
		} `json:"asia_asiakirja"`
	}
	if err := json.Unmarshal(doc, &form); err != nil {
		t.Fatal(err)
	}
	if len(form.Case.Persons) != 1 {
		t.Fatalf("the case document's muut_asiaan_liittyvat_henkilot: %v", form.Case.Persons)
	}
	p := form.Case.Persons[0]
	id, _ := p["henkilotunnus"].(map[string]any)
	if p["sukunimi"] != "Testinen" || p["etunimet"] != "Veikko" || p["roolin_kuvaus"] != "isä" || id["value"] != "010170-961H" {
		t.Errorf("the person in the case document: %v", p)
	}
}

// bodyOf is the display form (XHTML) and the structured form (JSON) of a
// delivered document, as its body carries them.
func bodyOf(t *testing.T, pkg, oid string) (xhtml, js []byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(pkg, "documents", "*", oid+".xml"))
	if len(files) != 1 {
		t.Fatalf("document %s is not in the package", oid)
	}
	doc, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	decoded := func(pattern string) []byte {
		m := regexp.MustCompile(pattern).FindSubmatch(doc)
		if m == nil {
			t.Fatalf("document %s: no %s", oid, pattern)
		}
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return decoded(`<text mediaType="application/xhtml\+xml"[^>]*>([^<]*)</text>`), decoded(`<hl7fi:json[^>]*>([^<]*)</hl7fi:json>`)
}
