package pipeline

import (
	"maps"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/state"
)

// entries are documents of the small sample's cases that name only their
// case, as a legacy entry table does: one of a case with one client, one of
// the shared case S999001 (A000041 and A000042), one of no case the export
// has.
const entries = `id;asia;tyyppi;laadittu;teksti
M1;S000001;ARV;2021-06-01T10:00:00;Kotikäynti.
M2;S999001;ARV;2021-06-02T10:00:00;Yhteinen tapaaminen.
M3;S999999;ARV;2021-06-03T10:00:00;Asia puuttuu.
`

// A document that names only its case is its case's client's; one of a
// shared case is refused with a reason that says what to map, and one of a
// case not in the export is refused for that.
func TestADocumentNamingOnlyItsCaseIsItsClients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := smallWithCSV(t, dir, "merkinnat", entries, func(text string) string {
		i := strings.Index(text, "\ndocuments:\n")
		if i < 0 {
			t.Fatal("no documents section in the small mapping")
		}
		block := strings.ReplaceAll(text[i+len("\ndocuments:\n"):], "\n", "\n  ")
		return text[:i] + "\ndocuments:\n  - " + strings.TrimSpace(block) + `
  - source: merkinnat
    key: id
    fields:
      case: asia
      type: {from: tyyppi, map: asiakirjatyyppi}
      drawn_up: laadittu
      text: teksti
`
	})
	accounts := 0 // the command's memory policy hears once that the account begins
	rep := dryRunMapping(t, file, Options{WorkDir: t.TempDir(), BeforeAccount: func() { accounts++ }})
	if accounts != 1 {
		t.Errorf("BeforeAccount called %d times, want once", accounts)
	}
	if !rep.Reconciles() {
		t.Errorf("does not reconcile: %+v", rep.Total)
	}
	rules := map[string]string{}
	for _, f := range rep.Rejects {
		if f.Source == "merkinnat" {
			rules[f.Key] = f.Rule
			if f.Key == "M2" && !strings.Contains(f.Reason, "client:") {
				t.Errorf("M2's reason does not say what to map: %s", f.Reason)
			}
		}
	}
	if want := map[string]string{"M2": "case-client", "M3": "case-missing"}; !maps.Equal(rules, want) {
		t.Errorf("rejected %v, want %v", rules, want)
	}

	st, _ := runToPackage(t, file, dir)
	named, err := st.Get("document", "asiakirjat:D0000001") // names client and case S000001
	if err != nil || named == nil {
		t.Fatalf("D0000001: %+v, %v", named, err)
	}
	row, err := st.Get("document", "merkinnat:M1")
	if err != nil || row == nil || row.Outcome != state.Loaded || row.ClientKey != named.ClientKey || row.ClientKey == "" {
		t.Fatalf("M1 after the run: %+v, %v; want loaded for client %q", row, err, named.ClientKey)
	}
}
