package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/transform"
)

type planted struct {
	Entity, Key, Rule, What string
}

type counts struct {
	Extracted int `json:"extracted"`
	WouldLoad int `json:"would_load"`
	Rejected  int `json:"rejected"`
	Skipped   int `json:"skipped"`
}

type expected struct {
	Client, Case, Document counts
	Rejects                []planted
	Warnings               []planted
	Consequences           []planted
	RemovedChars           int `json:"removed_xml_characters"`
}

// The full sample (samples/legacy, 1,988 archive documents) is dry-run once
// for the package, with its documents written: the tests that read its
// report or documents share it and must not change them. Every other
// scenario runs the small sample (samples/legacy-small) or a fixture of its
// own.
var (
	fullOnce   sync.Once
	fullReport *report.Report
	fullDocs   string
	fullErr    error
)

// fullSample is the report of the full sample's dry-run and the folder of
// the documents it made.
func fullSample(t *testing.T) (*report.Report, string) {
	t.Helper()
	fullOnce.Do(func() {
		fullDocs, fullErr = os.MkdirTemp("", "kantamig-full-sample-")
		if fullErr != nil {
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(fullDocs) })
		var m *mapping.Mapping
		var schemas *transform.Schemas
		m, schemas, fullErr = Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
		if fullErr != nil {
			return
		}
		var r *Runner
		if r, fullErr = Prepare(m, schemas, Options{DocumentsDir: fullDocs}); fullErr != nil {
			return
		}
		defer r.Close()
		fullReport, fullErr = r.DryRun(context.Background())
	})
	if fullErr != nil {
		t.Fatalf("the full sample's dry-run: %v", fullErr)
	}
	return fullReport, fullDocs
}

// dryRunSmall dry-runs the small sample with opts.
func dryRunSmall(t *testing.T, opts Options) *report.Report {
	t.Helper()
	return dryRunMapping(t, testenv.SmallClassic(t, nil), opts)
}

// dryRunMapping runs a whole dry-run of a mapping file and returns its report.
func dryRunMapping(t *testing.T, file string, opts Options) *report.Report {
	t.Helper()
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(m, schemas, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := r.DryRun(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The sample dry-run accounts for exactly what the samples contain: the
// generator's expected.json says how many records there are, which bad ones it
// planted and what must become of them.
// readExpected reads what the sample generator says must become of a
// sample (the folder under samples/: legacy or legacy-small).
func readExpected(t *testing.T, sample string) expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "samples", sample, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp expected
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

func TestSampleDryRunMatchesWhatTheSamplesContain(t *testing.T) {
	t.Parallel()
	exp := readExpected(t, "legacy")
	rep, _ := fullSample(t)
	for entity, want := range map[string]counts{"client": exp.Client, "case": exp.Case, "document": exp.Document} {
		got := rep.Entities[entity]
		if got == nil || got.Extracted != want.Extracted || got.WouldLoad != want.WouldLoad || got.Rejected != want.Rejected || got.Skipped != want.Skipped {
			t.Errorf("%s: got %+v, want %+v", entity, got, want)
		}
	}
	if !rep.Reconciles() {
		t.Errorf("report does not reconcile: %+v", rep.Total)
	}
	rejects := map[string]report.Finding{}
	for _, f := range rep.Rejects {
		rejects[f.Entity+"/"+f.Key] = f
	}
	for _, p := range exp.Rejects {
		f, ok := rejects[p.Entity+"/"+p.Key]
		if !ok {
			t.Errorf("planted bad %s %s (%s) was not rejected", p.Entity, p.Key, p.What)
			continue
		}
		if f.Rule != p.Rule {
			t.Errorf("%s %s (%s): rule %q, want %q (%s)", p.Entity, p.Key, p.What, f.Rule, p.Rule, f.Reason)
		}
		if f.Locator == "" || f.Reason == "" {
			t.Errorf("%s %s: reject without locator or reason: %+v", p.Entity, p.Key, f)
		}
	}
	for _, p := range exp.Consequences {
		f, ok := rejects[p.Entity+"/"+p.Key]
		if !ok || (f.Rule != "client-not-loaded" && f.Rule != "case-not-loaded") {
			t.Errorf("%s %s (%s): want rejected as not loaded, got %+v", p.Entity, p.Key, p.What, f)
		}
	}
	if got, want := len(rep.Rejects), exp.Client.Rejected+exp.Case.Rejected+exp.Document.Rejected; got != want {
		t.Errorf("%d rejects listed, %d counted", got, want)
	}
	warned := map[string][]string{}
	for _, w := range rep.Warnings {
		warned[w.Entity+"/"+w.Key] = append(warned[w.Entity+"/"+w.Key], w.Rule)
	}
	for _, p := range exp.Warnings {
		if !slices.Contains(warned[p.Entity+"/"+p.Key], p.Rule) {
			t.Errorf("%s %s (%s): want warning %s, got %q", p.Entity, p.Key, p.What, p.Rule, warned[p.Entity+"/"+p.Key])
		}
	}
	if rep.RemovedCharacters != exp.RemovedChars {
		t.Errorf("removed characters %d, want %d", rep.RemovedCharacters, exp.RemovedChars)
	}
	unmapped := map[string]bool{}
	for _, u := range rep.Unmapped {
		unmapped[u.Value] = u.ExampleLocator != ""
	}
	for _, v := range []string{"XYZ", "XX9"} {
		if !unmapped[v] {
			t.Errorf("unmapped legacy value %s not listed with an example locator", v)
		}
	}
	if rep.DocumentsGenerated != exp.Client.WouldLoad+exp.Case.WouldLoad+exp.Document.WouldLoad {
		t.Errorf("documents generated %d", rep.DocumentsGenerated)
	}
	types := 0
	for label, c := range rep.DocumentsByType {
		if label != "(unknown)" && c.WouldLoad > 0 {
			types++
		}
	}
	if types != 17 {
		t.Errorf("documents of %d general types would load, want all 17", types)
	}
}

func TestWorkbookHasEverySheetAndTheReconciliation(t *testing.T) {
	t.Parallel()
	rep, _ := fullSample(t)
	path := filepath.Join(t.TempDir(), "dry-run.xlsx")
	if err := rep.WriteExcel(path); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Summary", "By type", "By service task", "Rejects", "Skipped", "Refused", "Warnings", "Unmapped values", "Settings"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sheets %v, want %v", got, want)
	}
	rows, _ := f.GetRows("Rejects")
	if len(rows) != 2+len(rep.Rejects) {
		t.Errorf("Rejects sheet has %d rows, want %d", len(rows), 2+len(rep.Rejects))
	}
	summary, _ := f.GetRows("Summary", excelize.Options{RawCellValue: true})
	total := ""
	for _, row := range summary {
		if len(row) > 1 && row[0] == "Total" {
			total = row[1]
			break
		}
	}
	if total != itoa(rep.Total.Extracted) {
		t.Errorf("Summary total extracted %q, want %d", total, rep.Total.Extracted)
	}
	sha, _ := f.GetCellValue("Settings", "B5")
	if len(sha) != 64 {
		t.Errorf("settings lack the mapping's SHA-256: %q", sha)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// The report of the sample dry-run holds no client's name and no
// unmasked identity code: reasons name records by key, codes are masked.
func TestSampleReportHoldsNoNamesOrIdentityCodes(t *testing.T) {
	t.Parallel()
	rep, _ := fullSample(t)
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	csv, err := os.ReadFile(filepath.Join("..", "samples", "legacy", "asiakkaat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(csv), "\n")[1:] {
		f := strings.Split(line, ";")
		if len(f) < 5 {
			continue
		}
		for _, v := range []string{f[1], `"` + f[3] + `"`, " " + f[3] + " ", strings.Fields(f[4] + " x")[0] + " " + f[3]} {
			if len(strings.TrimSpace(v)) > 3 && strings.Contains(text, v) {
				t.Errorf("the report holds %q of client %s", v, f[0])
			}
		}
		checked++
	}
	if checked < 300 {
		t.Fatalf("%d clients checked", checked)
	}
}
