package report

import (
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

func TestCountsReconcile(t *testing.T) {
	r := New(Settings{})
	for _, o := range []string{OutcomeLoad, OutcomeLoad, OutcomeReject, OutcomeSkip} {
		r.Count("document", "asiakirjat", o)
	}
	c := r.Entities["document"]
	if c.Extracted != 4 || c.WouldLoad != 2 || !r.Reconciles() {
		t.Errorf("counts %+v", c)
	}
	data, _ := json.Marshal(r)
	if !strings.Contains(string(data), `"would_load":2`) {
		t.Errorf("JSON %s", data)
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
