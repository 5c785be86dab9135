package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

// decisions is a second export of documents about the sample's clients and
// cases: a CSV of decisions whose dates fall between those of the XML
// export's documents of the same clients.
const decisions = `id;asiakas;asia;tyyppi;palvelu;laadittu;teksti
D0000001;A000001;S000001;PAA;LS;2021-03-15T10:00:00;Päätös palvelusta (the XML export has a D0000001 too: another source, another record).
P2;A000003;S000003;PAA;IP;2022-05-20T09:00:00;Päätös, between the XML's documents of 14 and 26 May.
P2;A000003;S000003;PAA;IP;2022-05-21T09:00:00;A second row with the key P2 in this source.
P4;A999999;S000003;PAA;IP;2022-05-22T09:00:00;A client no export has.
`

// decisionBlock reads the decisions CSV by client key.
const decisionBlock = `  - source: paatokset
    key: id
    fields:
      client: asiakas
      case: asia
      type: {from: tyyppi, map: asiakirjatyyppi}
      service_task: {from: palvelu, map: palvelu}
      drawn_up: laadittu
      text: teksti
`

// twoDocumentSources is the sample mapping with its documents read from the
// XML export and from the decisions CSV written into dir.
func twoDocumentSources(t *testing.T, dir string) string {
	return withDecisions(t, dir, decisions, decisionBlock)
}

// withDecisions is the sample mapping with a second source of documents:
// csv, written into dir, read by block.
func withDecisions(t *testing.T, dir, csv, block string) string {
	t.Helper()
	path := filepath.Join(dir, "paatokset.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return testenv.SmallClassic(t, func(text string) string {
		i := strings.Index(text, "documents:\n")
		var b strings.Builder
		for n, line := range strings.Split(strings.TrimRight(text[i+len("documents:\n"):], "\n"), "\n") {
			if n == 0 {
				b.WriteString("  - " + strings.TrimPrefix(line, "  ") + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
		b.WriteString(block)
		text = text[:i] + "documents:\n" + b.String()
		return strings.Replace(text, "sources:\n", "sources:\n  paatokset: {kind: csv, file: "+path+", delimiter: \";\"}\n", 1)
	})
}

// Documents from two sources take part in one plan: the run delivers every
// client's documents from both in one chronological order, which the
// package's judge accepts, and the report reconciles per source.
func TestDocumentsFromTwoSourcesGoOutInOneOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := twoDocumentSources(t, dir)
	rep := dryRunMapping(t, file, Options{WorkDir: t.TempDir()})
	single := dryRunSmall(t, Options{WorkDir: t.TempDir()})

	xml, csv := rep.EntitySources["document"]["asiakirjat"], rep.EntitySources["document"]["paatokset"]
	if xml == nil || csv == nil {
		t.Fatalf("documents by source: %v", rep.EntitySources["document"])
	}
	if counted(t, xml) != counted(t, single.Entities["document"]) {
		t.Errorf("the XML export's documents: %+v, alone %+v", *xml, *single.Entities["document"])
	}
	if want := (report.Counts{Extracted: 4, WouldLoad: 2, Rejected: 2}); counted(t, csv) != want {
		t.Errorf("the decisions: %+v, want %+v", *csv, want)
	}
	if got, want := rep.Entities["document"].Extracted, single.Entities["document"].Extracted+4; got != want {
		t.Errorf("%d documents extracted, want %d", got, want)
	}
	if !rep.Reconciles() {
		t.Errorf("does not reconcile: %+v", rep.Total)
	}
	rules := map[string]string{}
	for _, f := range rep.Rejects {
		if f.Source == "paatokset" {
			rules[f.Key] = f.Rule
		}
	}
	if len(rules) != 2 || rules["P2"] != "duplicate-key" || rules["P4"] != "client-missing" {
		t.Errorf("the decisions rejected: %v, want P2 duplicate-key and P4 client-missing", rules)
	}

	_, res := runToPackage(t, file, dir)
	if want := single.Total.WouldLoad + 2; res.Documents != want {
		t.Errorf("%d documents in the package, want %d", res.Documents, want)
	}
}

// A state file staged with keys that name no source (an earlier kantamig's)
// is refused before anything is staged: its records would all look new.
func TestStateWithUnqualifiedKeysIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m, schemas, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for k, v := range map[string]string{"mapping_sha256": m.SHA256, "pass": "1", "runs": "1"} {
		if err := st.SetSetting(k, v); err != nil {
			t.Fatal(err)
		}
	}
	sk, err := sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	r, err := Prepare(m, schemas, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), RunOptions{Sink: sk})
	var old *ErrStateKeys
	if !errors.As(err, &old) {
		t.Fatalf("want ErrStateKeys, got %v", err)
	}
	if counts, _ := st.Counts(); len(counts) != 0 {
		t.Errorf("records staged into the old state: %v", counts)
	}
}

// A source that names clients only by identity code: each record goes to the
// client staged with that code; a code no migrated client has is rejected
// as unknown-client, with the code masked in the reason.
func TestDocumentsNamingTheirClientByIdentityCode(t *testing.T) {
	t.Parallel()
	// A000001 (150467-949T) is a client of case S000001 in the samples.
	csv := `hetu;asia;laadittu;teksti
150467-949T;S000001;2021-03-15T10:00:00;Päätös, named by identity code.
010101-995T;S000001;2021-03-16T10:00:00;An identity code no client has.
`
	block := `  - source: paatokset
    key: [hetu, laadittu]
    fields:
      client_identity_code: hetu
      case: asia
      type: {value: "11"}
      service_task: {value: "91"}
      drawn_up: laadittu
      text: teksti
`
	dir := t.TempDir()
	rep := dryRunMapping(t, withDecisions(t, dir, csv, block), Options{WorkDir: t.TempDir()})
	got := rep.EntitySources["document"]["paatokset"]
	if want := (report.Counts{Extracted: 2, WouldLoad: 1, Rejected: 1}); got == nil || counted(t, got) != want {
		t.Fatalf("the decisions: %+v, want %+v", got, want)
	}
	for _, f := range rep.Rejects {
		if f.Source != "paatokset" {
			continue
		}
		if f.Rule != "unknown-client" || !strings.Contains(f.Reason, "010101*****") || strings.Contains(f.Reason, "995T") {
			t.Errorf("reject %+v: want unknown-client with the code masked", f)
		}
		if strings.Contains(f.Key, "995T") || strings.Contains(f.Locator, "995T") {
			t.Errorf("identity code in the key or locator of %+v", f)
		}
	}
}

// Documents without a case, collected: one case per client and service task
// is made for them, opened at the first and closed at the last, reported as
// generated (not extracted), and delivered before its documents.
func TestDocumentsWithoutACaseAreCollected(t *testing.T) {
	t.Parallel()
	csv := `id;asiakas;tyyppi;palvelu;laadittu;teksti
P1;A000001;PAA;LS;2021-06-01T10:00:00;The later of two decisions of A000001 in LS.
P2;A000001;PAA;LS;2021-04-01T10:00:00;The earlier one.
P3;A000003;PAA;IP;2022-06-01T10:00:00;One of A000003 in IP.
P4;A999999;PAA;IP;2022-06-02T10:00:00;A client no export has: no case is made for it.
`
	block := `  - source: paatokset
    key: id
    without_case: {action: collect, name_other: Asiakirjat ilman asiaa (siirto), status: "93"}
    fields:
      client: asiakas
      type: {from: tyyppi, map: asiakirjatyyppi}
      service_task: {from: palvelu, map: palvelu}
      drawn_up: laadittu
      text: teksti
`
	dir := t.TempDir()
	file := withDecisions(t, dir, csv, block)
	rep := dryRunMapping(t, file, Options{WorkDir: t.TempDir()})
	single := dryRunSmall(t, Options{WorkDir: t.TempDir()})
	if want := (report.Counts{Generated: 2, WouldLoad: 2}); rep.EntitySources["case"]["generated"] == nil || counted(t, rep.EntitySources["case"]["generated"]) != want {
		t.Errorf("generated cases: %+v, want %+v", rep.EntitySources["case"]["generated"], want)
	}
	if got, want := rep.Entities["case"].Extracted, single.Entities["case"].Extracted; got != want {
		t.Errorf("%d cases extracted, want the export's %d (the made ones are not extracted)", got, want)
	}
	if want := (report.Counts{Extracted: 4, WouldLoad: 3, Rejected: 1}); counted(t, rep.EntitySources["document"]["paatokset"]) != want {
		t.Errorf("the decisions: %+v, want %+v", *rep.EntitySources["document"]["paatokset"], want)
	}
	if !rep.Reconciles() {
		t.Errorf("does not reconcile: %+v", rep.Total)
	}

	st, res := runToPackage(t, file, dir)
	if want := single.Total.WouldLoad + 2 + 3; res.Documents != want {
		t.Errorf("%d documents in the package, want %d", res.Documents, want)
	}
	row, err := st.Get("case", "generated:asiakkaat:A000001|10")
	if err != nil || row == nil || row.Outcome != state.Loaded {
		t.Fatalf("the case made for A000001 in 10 (LS): %+v, %v", row, err)
	}
	var c kanta.Case
	if err := state.Decode(row.Model, &c); err != nil {
		t.Fatal(err)
	}
	if c.Name != "99" || c.Status != "93" || c.Opened.In(helsinkiZone).Format("2006-01-02") != "2021-04-01" || c.Closed.In(helsinkiZone).Format("2006-01-02") != "2021-06-01" {
		t.Errorf("the made case: name %s status %s, %v – %v; want 99, 93, 2021-04-01 – 2021-06-01", c.Name, c.Status, c.Opened, c.Closed)
	}
}

// runToPackage runs a mapping into an archive package under dir with a state
// store there, and has the package's judge check every document and the
// order: each problem it finds fails the test. The store stays open for the
// test to look into.
func runToPackage(t *testing.T, file, dir string) (state.Store, *archive.PackageResult) {
	t.Helper()
	return runToPackageWith(t, file, dir, nil)
}

// phases records the totals a run's progress announced, by phase.
type phases map[string]int64

func (p phases) Start(phase string, total int64) { p[phase] = total }
func (p phases) Add(int64)                       {}
func (p phases) Finish()                         {}

func runToPackageWith(t *testing.T, file, dir string, progress Progress) (state.Store, *archive.PackageResult) {
	t.Helper()
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pkg := filepath.Join(dir, "package")
	sk, err := sink.Open("dir:"+pkg, sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), RunOptions{Sink: sk, Progress: progress}); err != nil {
		t.Fatal(err)
	}
	res, err := archive.JudgePackage(pkg, archive.Config{Codes: m.CodeSets, Rehearsal: m.TestRehearsal})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	return st, res
}

// counted is a source's counts without how the source counted itself,
// having checked that its own count, if any, is the records read.
func counted(t *testing.T, c *report.Counts) report.Counts {
	t.Helper()
	if c == nil {
		return report.Counts{}
	}
	if c.SourceCount != nil && *c.SourceCount != c.Extracted {
		t.Errorf("the source counts %d (%s), %d were read", *c.SourceCount, c.CountedBy, c.Extracted)
	}
	out := *c
	out.SourceCount, out.CountedBy = nil, ""
	return out
}

// smallWithCSV is the small sample's mapping with a CSV source of its own,
// name, holding data (written into dir), and edit applied to the text.
func smallWithCSV(t *testing.T, dir, name, data string, edit func(string) string) string {
	t.Helper()
	path := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return testenv.SmallClassic(t, func(text string) string {
		return edit(strings.Replace(text, "sources:\n", "sources:\n  "+name+": {kind: csv, file: "+path+", delimiter: \";\"}\n", 1))
	})
}
