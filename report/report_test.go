package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentityCodesAreMaskedUnlessAsked(t *testing.T) {
	// Legacy systems often key clients by identity code, and reasons may quote one.
	f := Finding{Locator: "asiakas[hetu=050505A971V]", Entity: "client", Key: "150467-946P", Rule: "x", Reason: "same person as 010190Y990L"}
	for _, show := range []bool{false, true} {
		r := New(Settings{PersonalData: show})
		r.Reject(f)
		path := filepath.Join(t.TempDir(), "r.json")
		if err := r.WriteJSON(path); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		has := strings.Contains(string(data), "150467-946P") || strings.Contains(string(data), "010190Y990L") || strings.Contains(string(data), "050505A971V")
		if has != show {
			t.Errorf("show-personal-data %v: identity codes present %v\n%s", show, has, data)
		}
		if !show && !strings.Contains(string(data), "150467*****") {
			t.Errorf("masked form missing: %s", data)
		}
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

// The reconciliation compares the records read (the ledger's count) with
// the outcomes counted from the rows, and the source's own count with the
// records read: each difference is named with its entity and source.
func TestCountsReconcile(t *testing.T) {
	six, four := 6, 4
	for _, tc := range []struct {
		name        string
		read        int
		sourceCount *int
		problem     string // in the one problem; "" for none
	}{
		{"every record read has an outcome", 4, nil, ""},
		{"the source counts as many as were read", 4, &four, ""},
		{"a record read has no outcome", 5, nil, `document from source "asiakirjat": 5 record(s) read, but the state store accounts for 4`},
		{"an outcome of a record never read", 3, nil, `document from source "asiakirjat": 3 record(s) read, but the state store accounts for 4`},
		{"the source counts more than were read", 4, &six, `document from source "asiakirjat": the source counts 6 record(s) (SELECT COUNT(*)), the extraction read 4`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Settings{})
			for _, o := range []string{OutcomeLoad, OutcomeLoad, OutcomeReject, OutcomeSkip} {
				r.Count("document", "asiakirjat", o)
			}
			r.Read("document", "asiakirjat", tc.read, tc.sourceCount, "SELECT COUNT(*)")
			c := r.Entities["document"]
			if c.Extracted != tc.read || c.WouldLoad != 2 || r.Total.Extracted != tc.read {
				t.Errorf("counts %+v", c)
			}
			problems := r.ReconciliationProblems()
			if r.Reconciles() != (tc.problem == "") {
				t.Errorf("reconciles %v, problems %q", r.Reconciles(), problems)
			}
			if tc.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0], tc.problem)) {
				t.Errorf("problems %q, want one with %q", problems, tc.problem)
			}
			r.Finish()
			data, _ := json.Marshal(r)
			if !strings.Contains(string(data), `"would_load":2`) || !strings.Contains(string(data), `"reconciliation_problems":[`) {
				t.Errorf("JSON %s", data)
			}
		})
	}
	// A case kantamig made is generated, not read, and reconciles as such.
	r := New(Settings{})
	r.CountGenerated("case", "generated", OutcomeLoad)
	if !r.Reconciles() || r.Entities["case"].Generated != 1 {
		t.Errorf("generated: %q %+v", r.ReconciliationProblems(), r.Entities["case"])
	}
}

// A rule that warns on every record lists its first WarningsListedPerRule
// and counts the rest: memory does not follow the number of records.
func TestWarningsListedPerRuleAreBounded(t *testing.T) {
	r := New(Settings{})
	for i := 0; i < WarningsListedPerRule+500; i++ {
		r.Warn(Finding{Entity: "document", Key: fmt.Sprint(i), Rule: "rehearsal-placeholder"})
	}
	for i := 0; i < 3; i++ {
		r.Warn(Finding{Entity: "client", Key: fmt.Sprint(i), Rule: "sex-code"})
	}
	if len(r.Warnings) != WarningsListedPerRule+3 {
		t.Errorf("%d warnings listed, want %d", len(r.Warnings), WarningsListedPerRule+3)
	}
	if r.WarningsByRule["rehearsal-placeholder"] != WarningsListedPerRule+500 || r.WarningsByRule["sex-code"] != 3 || r.WarningCount() != WarningsListedPerRule+503 {
		t.Errorf("counts %v", r.WarningsByRule)
	}
}

// The JSON report lists every warning, the ones beyond the workbook's
// WarningsListedPerRule too, each once and masked as the listed ones are;
// the rest of the report is what it would be without them.
func TestTheJSONReportListsEveryWarning(t *testing.T) {
	r := New(Settings{})
	defer r.Close()
	const n = WarningsListedPerRule + 250
	for i := 0; i < n; i++ {
		r.Warn(Finding{Entity: "document", Key: fmt.Sprint(i), Locator: "asiakirjat.csv:" + fmt.Sprint(i+2) + " 150467-946P", Rule: "rehearsal-placeholder", Reason: "placeholder"})
	}
	r.Warn(Finding{Entity: "client", Key: "c", Rule: "sex-code"})
	path := filepath.Join(t.TempDir(), "report.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Warnings       []Finding      `json:"warnings"`
		WarningsByRule map[string]int `json:"warnings_by_rule"`
		Total          *Counts        `json:"total"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("the report is not JSON: %v", err)
	}
	if len(got.Warnings) != n+1 || got.WarningsByRule["rehearsal-placeholder"] != n || got.Total == nil {
		t.Fatalf("%d warnings listed of %d, by rule %v", len(got.Warnings), n+1, got.WarningsByRule)
	}
	seen := map[string]bool{}
	for _, w := range got.Warnings {
		if seen[w.Entity+w.Key] {
			t.Errorf("%s %s listed twice", w.Entity, w.Key)
		}
		seen[w.Entity+w.Key] = true
		if strings.Contains(w.Locator, "946P") {
			t.Errorf("an identity code in clear: %s", w.Locator)
		}
	}
	if !bytes.Contains(data, []byte("\n  \"warnings\": [\n    {")) {
		t.Errorf("the warnings are not indented as the rest of the report")
	}
}
