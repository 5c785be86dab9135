package pipeline

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// responsibleWorkers are the workers responsible for the small sample's
// clients: one carried, and one for each way of being refused.
const responsibleWorkers = `id;asiakas;suku;etu;rekno;puh
T1;A000001;Sosiaalinen;Sirpa;10012345;040 123 4567
T2;A999999;Sosiaalinen;Saku;;a client no export has
T3;A000001;Sosiaalinen;;;no given names
`

// A kind written generically into the client-relationship document
// (entity.ResponsibleWorker) goes end to end with no code of its own:
// counted, refused for its reasons, and carried in its client's document
// with its registration number and its phone inside yhteystiedot.
func TestResponsibleWorkersAreCarriedInTheRelationshipDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := smallWithCSV(t, dir, "tyontekijat", responsibleWorkers, func(text string) string {
		return strings.Replace(text, "cases:\n", `responsible_workers:
  source: tyontekijat
  key: id
  fields:
    client: asiakas
    family_name: suku
    given_names: etu
    registration_number: rekno
    phone: puh
cases:
`, 1)
	})
	rep := dryRunMapping(t, file, Options{WorkDir: t.TempDir()})
	if want := (report.Counts{Extracted: 3, WouldLoad: 1, Rejected: 2}); counted(t, rep.Entities["responsible_worker"]) != want {
		t.Errorf("responsible workers: %+v, want %+v", rep.Entities["responsible_worker"], want)
	}
	if !rep.Reconciles() {
		t.Errorf("does not reconcile: %+v", rep.Total)
	}
	rules := map[string]string{}
	for _, f := range rep.Rejects {
		if f.Entity == "responsible_worker" {
			rules[f.Key] = f.Rule
		}
	}
	if want := map[string]string{"T2": "client-missing", "T3": "required"}; !maps.Equal(rules, want) {
		t.Errorf("rejected %v, want %v", rules, want)
	}

	st, _ := runToPackage(t, file, dir)
	row, err := st.Get("responsible_worker", "tyontekijat:T1")
	if err != nil || row == nil || row.Outcome != state.Loaded {
		t.Fatalf("T1 after the run: %+v, %v", row, err)
	}
	crow, err := st.Get("client", "asiakkaat:A000001")
	if err != nil || crow == nil {
		t.Fatalf("the client: %v", err)
	}
	display, doc := bodyOf(t, filepath.Join(dir, "package"), crow.DocOID)
	if !strings.Contains(string(display), "Sirpa") {
		t.Errorf("the relationship document's display form does not show the worker:\n%s", display)
	}
	var form struct {
		Relationship struct {
			Workers []struct {
				FamilyName   string            `json:"sukunimi"`
				GivenNames   string            `json:"etunimet"`
				Registration map[string]string `json:"rekisterointitunnus"`
				Contact      map[string]string `json:"yhteystiedot"`
			} `json:"palveluista_vastaava_tyontekija"`
		} `json:"asiakkuusasiakirja"`
	}
	if err := json.Unmarshal(doc, &form); err != nil {
		t.Fatal(err)
	}
	if len(form.Relationship.Workers) != 1 {
		t.Fatalf("palveluista_vastaava_tyontekija: %+v", form.Relationship.Workers)
	}
	w := form.Relationship.Workers[0]
	if w.FamilyName != "Sosiaalinen" || w.GivenNames != "Sirpa" || w.Registration["system"] != "1.2.246.537.26" || w.Registration["value"] != "10012345" ||
		w.Contact["puhelinnumero"] != "040 123 4567" {
		t.Errorf("the worker in the relationship document: %+v", w)
	}
}
