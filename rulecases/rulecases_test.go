package rulecases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/mappingtest"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/pdfa/pdfatest"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
	"github.com/kantamig/kantamig/transform"
)

var (
	rulesMapping = filepath.Join("testdata", "rules.yaml")
	rulesTests   = filepath.Join("testdata", "rules.test.yaml")
)

// yamlRules are the rules the mapping test cases expect, as rejects, skips
// or warnings.
func yamlRules(t *testing.T) map[string]bool {
	t.Helper()
	f, err := mappingtest.ReadFile(rulesTests)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, c := range f.Cases {
		for _, e := range c.Expect {
			if e.Rule != "" {
				out[e.Rule] = true
			}
			for _, w := range e.Warnings {
				out[w] = true
			}
		}
	}
	return out
}

// The mapping test cases pass: each record ends as expected, under the
// expected rule, with the expected warnings.
func TestRuleCasesPass(t *testing.T) {
	t.Parallel()
	results, err := mappingtest.RunFile(context.Background(), rulesMapping, rulesTests, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		for _, d := range r.Differences {
			t.Errorf("%s: %s", r.Case, d)
		}
	}
}

// Every rule of kanta.Rules is produced by a mapping test case or by a
// scenario below; a rule with neither fails here.
func TestEveryRuleIsProduced(t *testing.T) {
	t.Parallel()
	byYAML := yamlRules(t)
	for _, r := range kanta.Rules {
		_, byScenario := scenarios[r.Name]
		switch {
		case byYAML[r.Name] && byScenario:
			t.Errorf("rule %s has a mapping test case and a scenario: keep one", r.Name)
		case !byYAML[r.Name] && !byScenario:
			t.Errorf("rule %s (%s) is produced by no case: add one to %s, or a scenario to rulecases_test.go", r.Name, r.Meaning, rulesTests)
		}
	}
	for name := range scenarios {
		if kanta.RuleKind(name) == "" {
			t.Errorf("scenario for %s, which is not a rule of kanta.Rules", name)
		}
	}
}

// scenarios produce the rules no mapping test case can: each runs the
// stages that produce its rule and fails unless the rule appears.
var scenarios = map[string]func(t *testing.T){
	kanta.RuleEncoding:             fileScenario("asiakkaat", "csv", "asnro,hetu,sukunimi,etunimet,alku\nA1,150467-949T,M\xe4kel\xe4,Saimi,2020-01-01\n", "client", "A1", kanta.RuleEncoding),
	kanta.RuleFieldCount:           fileScenario("asiakkaat", "csv", "asnro,hetu,sukunimi,etunimet,alku\nA1,150467-949T,Demola,Saimi,2020-01-01,ylimääräinen\n", "client", "A1", kanta.RuleFieldCount),
	kanta.RuleUnexpectedElement:    fileScenario("asiakkaat", "xml", `<vienti><asiakas><asnro>A1</asnro><hetu>150467-949T</hetu><sukunimi>Demola</sukunimi><etunimet>Saimi</etunimet><alku>2020-01-01</alku></asiakas><Asiakas><asnro>A2</asnro></Asiakas></vienti>`, "client", "", kanta.RuleUnexpectedElement),
	kanta.RuleSampledOut:           sampledOut,
	kanta.RuleDocumentTooLarge:     tooLarge,
	kanta.RuleEmptySource:          emptySource,
	kanta.RuleGoneFromSource:       goneFromSource,
	kanta.RulePlaceholderCode:      placeholderOutsideRehearsal,
	kanta.RuleOldBirthDate:         oldWithoutBirthDate,
	kanta.RuleNoStructure:          noStructure,
	kanta.RuleFileMissing:          filesUnderRoot,
	kanta.RuleFileOutsideRoot:      filesUnderRoot,
	kanta.RuleTruncated:            filesUnderRoot,
	kanta.RuleNoPDFARoute:          scansAsPDFA,
	kanta.RulePDFAInvalid:          scansAsPDFA,
	kanta.RulePDFACarried:          scansAsPDFA,
	kanta.RuleDelivery:             func(t *testing.T) { deliveryFailure(t, errors.New("the disk is full"), kanta.RuleDelivery) },
	kanta.RuleArchiveRejected:      refusedDocument,
	kanta.RuleHeldBack:             refusedDocument,
	kanta.RuleChangedAfterDelivery: changedAfterDelivery,
}

func TestScenarios(t *testing.T) {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fn := scenarios[n]
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			fn(t)
		})
	}
}

// baseRecords is one client with its service-task relationship, a case
// with the client as member, and two documents.
func baseRecords() map[string][]map[string]string {
	return map[string][]map[string]string{
		"asiakkaat":      {{"asnro": "A1", "hetu": "150467-949T", "sukunimi": "Demola", "etunimet": "Saimi", "alku": "2020-01-01"}, {"asnro": "A2", "hetu": "020280-9517", "sukunimi": "Toinen", "etunimet": "Tuomas", "alku": "2020-01-01"}},
		"palvelusuhteet": {{"asnro": "A1", "alue": "LP", "alku": "2020-01-01"}, {"asnro": "A2", "alue": "LP", "alku": "2020-01-01"}},
		"asiat":          {{"asia_id": "S1", "nimi": "PTA", "tila": "KAS", "avattu": "2020-02-01", "palvelu": "LP"}},
		"jasenet":        {{"asia_id": "S1", "asnro": "A1", "liittyi": "2020-02-01"}},
		"asiakirjat": {
			{"id": "K1", "asnro": "A1", "asia": "S1", "tyyppi": "SUUN", "rekno": "10246974901", "laatija": "Työntekijä", "laatija_etu": "Tiina", "nimike": "sosiaalityöntekijä", "palvelu": "LP", "laadittu": "2021-03-04T10:15:00", "teksti": "Ensimmäinen."},
			{"id": "K2", "asnro": "A1", "asia": "S1", "tyyppi": "SUUN", "rekno": "10246974901", "laatija": "Työntekijä", "laatija_etu": "Tiina", "nimike": "sosiaalityöntekijä", "palvelu": "LP", "laadittu": "2021-03-05T10:15:00", "teksti": "Toinen."},
		},
	}
}

// inline is a source of a scenario's records.
type inline struct {
	name    string
	records []map[string]string
	next    int
}

func (s *inline) Next(context.Context) (extract.Record, error) {
	if s.next >= len(s.records) {
		return extract.Record{}, io.EOF
	}
	s.next++
	return extract.Record{Fields: s.records[s.next-1], Locator: fmt.Sprintf("scenario:%s[%d]", s.name, s.next), Position: s.next}, nil
}
func (s *inline) Columns() []string { return nil }
func (s *inline) Close() error      { return nil }

// scenario is one dry-run or run of the rules mapping over a store.
type scenario struct {
	t       *testing.T
	m       *mapping.Mapping
	schemas *transform.Schemas
	records map[string][]map[string]string
	files   map[string]extract.Spec // sources read from a file instead
	opts    pipeline.Options
}

func newScenario(t *testing.T, edit func(string) string) *scenario {
	t.Helper()
	file := rulesMapping
	if edit != nil {
		data, err := os.ReadFile(rulesMapping)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(edit(string(data)), "../../samples/", filepath.Join(testenv.Root(), "samples")+"/")
		file = filepath.Join(t.TempDir(), "rules.yaml")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m, schemas, err := pipeline.LoadWithoutSources(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	return &scenario{t: t, m: m, schemas: schemas, records: baseRecords(), files: map[string]extract.Spec{}}
}

func (s *scenario) runner(st state.Store) *pipeline.Runner {
	s.t.Helper()
	opts := s.opts
	opts.Store, opts.WorkDir = st, s.t.TempDir()
	opts.OpenSource = func(em *mapping.EntityMapping) (extract.Source, error) {
		if spec, ok := s.files[em.SourceName]; ok {
			return extract.Open(spec)
		}
		return &inline{name: em.SourceName, records: s.records[em.SourceName]}, nil
	}
	r, err := pipeline.Prepare(s.m, s.schemas, opts)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

func (s *scenario) dryRun() *report.Report {
	s.t.Helper()
	r := s.runner(nil)
	defer r.Close()
	rep, err := r.DryRun(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

// hasFinding says whether the report lists a finding (reject, skip or
// warning) under rule for entity (and key, when given).
func hasFinding(rep *report.Report, entity, key, rule string) bool {
	for _, list := range [][]report.Finding{rep.Rejects, rep.Skips, rep.Warnings} {
		for _, f := range list {
			if f.Rule == rule && f.Entity == entity && (key == "" || f.Key == key) {
				return true
			}
		}
	}
	return false
}

// fileScenario reads one source from a file, through its real reader.
func fileScenario(source, kind, data, entity, key, rule string) func(t *testing.T) {
	return func(t *testing.T) {
		s := newScenario(t, nil)
		path := filepath.Join(t.TempDir(), source+"."+kind)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		s.files[source] = extract.Spec{Kind: kind, File: path, Record: "/vienti/asiakas"}
		rep := s.dryRun()
		if !hasFinding(rep, entity, key, rule) {
			t.Errorf("no %s finding on %s %s: rejects %v", rule, entity, key, rep.Rejects)
		}
	}
}

// A dry-run's sample leaves out the clients outside it, with their
// records, counted under sampled-out.
func sampledOut(t *testing.T) {
	s := newScenario(t, nil)
	smp, err := pipeline.ParseSample("1")
	if err != nil {
		t.Fatal(err)
	}
	s.opts.Sample = smp
	if rep := s.dryRun(); rep.SampledOut == 0 {
		t.Errorf("nothing sampled out of two clients with a sample of one")
	}
}

// A document over the size limit is rejected at staging, with its size.
func tooLarge(t *testing.T) {
	s := newScenario(t, nil)
	s.opts.MaxDocumentBytes = 20000 // the relationship and case documents are about 7000 bytes
	s.records["asiakirjat"][0]["teksti"] = strings.Repeat("Pitkä teksti. ", 2000)
	rep := s.dryRun()
	if !hasFinding(rep, "document", "K1", kanta.RuleDocumentTooLarge) {
		t.Errorf("no document-too-large: %v", rep.Rejects)
	}
}

// Outside a test rehearsal, a document that would carry a placeholder code
// is rejected, not built: here a home municipality that only a sample file
// (not a national export) lists. (A value map to a placeholder is refused
// when the mapping is loaded; a code given in the data is found here.)
func placeholderOutsideRehearsal(t *testing.T) {
	mappingFile := filepath.Join(t.TempDir(), "clients.yaml")
	text := `version: 1
system: clients only, no test rehearsal
organisation:
  custodian: {oid: 1.2.246.10.99999991.10.0, name: Kuvitelman hyvinvointialue}
  service_unit: {oid: 1.2.246.10.99999991.10.100, name: Sosiaalipalvelujen asiakasohjaus}
  oid_root: 1.2.246.10.99999991.95.9
  software: {moderator: kantamig, product: kantamig, version: "0.1"}
cutoff: 2024-01-01
timezone: Europe/Helsinki
codesets:
  - {set: municipality, file: ` + filepath.Join(testenv.Root(), "samples", "codesets", "kunnat.csv") + `}
sources:
  asiakkaat: {kind: csv, file: asiakkaat.csv}
  asiat: {kind: csv, file: asiat.csv}
  asiakirjat: {kind: csv, file: asiakirjat.csv}
cases:
  source: asiat
  key: id
  fields: {clients: asnro, name: nimi, status: tila, opened: {from: avattu, date: yyyy-MM-dd}, service_task: palvelu}
documents:
  source: asiakirjat
  key: id
  fields: {client: asnro, case: asia, type: tyyppi, service_task: palvelu, drawn_up: laadittu}
clients:
  source: asiakkaat
  key: asnro
  fields:
    identity_code: hetu
    family_name: sukunimi
    given_names: etunimet
    home_municipality: kunta
    relationship_start: {from: alku, date: yyyy-MM-dd}
`
	if err := os.WriteFile(mappingFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	m, schemas, err := pipeline.LoadWithoutSources(mappingFile, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{t: t, m: m, schemas: schemas, files: map[string]extract.Spec{}, records: map[string][]map[string]string{
		"asiakkaat": {
			{"asnro": "A1", "hetu": "150467-949T", "sukunimi": "Demola", "etunimet": "Saimi", "kunta": "091", "alku": "2020-01-01"},
			{"asnro": "A2", "hetu": "020280-9517", "sukunimi": "Toinen", "etunimet": "Tuomas", "kunta": "092", "alku": "2020-01-01"},
		}}}
	rep := s.dryRun()
	if !hasFinding(rep, "client", "A1", kanta.RulePlaceholderCode) || hasFinding(rep, "client", "A2", kanta.RulePlaceholderCode) {
		t.Errorf("want placeholder-code on A1 (091, a sample code) only: %v", rep.Rejects)
	}
}

// A document with no Sosmeta structure (K2 made Muu asiakirja) is rejected
// when the mapping does not state that such documents go with the display
// form only; the structured plan (K1) loads.
func noStructure(t *testing.T) {
	s := newScenario(t, func(text string) string {
		return strings.Replace(text, "display_only_documents: true", "display_only_documents: false", 1)
	})
	s.records["asiakirjat"][1]["tyyppi"] = "MUU"
	rep := s.dryRun()
	if !hasFinding(rep, "document", "K2", kanta.RuleNoStructure) || hasFinding(rep, "document", "K1", kanta.RuleNoStructure) {
		t.Errorf("want no-structure on K2 only: %v", rep.Rejects)
	}
}

// A document's text read from files under a root: a file there loads
// (converted from RTF, noted), a path out of the root, a missing file and
// a file shorter than the length the source gives are rejected, each
// under its rule.
func filesUnderRoot(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(filepath.Dir(root), "ulkona.rtf")
	rtf := `{\rtf1\ansi\ansicpg1252 P\'e4\'e4t\'f6s\par}`
	for name, content := range map[string]string{"a/eka.rtf": rtf, "katkennut.rtf": rtf[:20]} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(outside, []byte(rtf), 0o600)
	s := newScenario(t, func(text string) string {
		return strings.Replace(text, "      text: teksti\n      text_format: muoto\n",
			"      text: {from: tiedosto, file_root: "+root+", length_from: pituus}\n      text_format: {value: rtf}\n", 1)
	})
	docs := s.records["asiakirjat"]
	docs[0]["tiedosto"], docs[0]["pituus"] = "a/eka.rtf", fmt.Sprint(len(rtf))
	docs[1]["tiedosto"] = "../" + filepath.Base(outside)
	base := docs[0]
	for _, k := range []struct{ id, file, length string }{{"K3", "puuttuu.rtf", ""}, {"K4", "katkennut.rtf", fmt.Sprint(len(rtf))}} {
		d := map[string]string{}
		for f, v := range base {
			d[f] = v
		}
		d["id"], d["tiedosto"], d["pituus"] = k.id, k.file, k.length
		docs = append(docs, d)
	}
	s.records["asiakirjat"] = docs
	rep := s.dryRun()
	for key, rule := range map[string]string{"K2": kanta.RuleFileOutsideRoot, "K3": kanta.RuleFileMissing, "K4": kanta.RuleTruncated} {
		if !hasFinding(rep, "document", key, rule) {
			t.Errorf("want %s on %s: %v", rule, key, rep.Rejects)
		}
	}
	if c := rep.Entities["document"]; c == nil || c.WouldLoad != 1 || !hasFinding(rep, "document", "K1", kanta.RuleBodyConverted) {
		t.Errorf("want K1 loaded from its file, converted: %+v %v", c, rep.Rejects)
	}
}

// Scans named by a column under a root: with pdfa_documents, a plain PDF
// and a TIFF load as PDF/A (each listed), a password-protected PDF is
// rejected with the reason; without it, every scan is rejected for the
// route not stated. The tools are the real ones.
func scansAsPDFA(t *testing.T) {
	if _, err := pdfa.Find(); err != nil {
		testenv.Missing(t, err.Error())
	}
	root := t.TempDir()
	files := map[string][]byte{
		"hakemus.pdf":  pdfatest.TextPDF("Hakemus", "Päivähoito"),
		"salattu.pdf":  pdfatest.ProtectedPDF("salasana", "Lausunto"),
		"skannaus.tif": pdfatest.TIFF(120, 170),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, stated := range []bool{true, false} {
		s := newScenario(t, func(text string) string {
			text = strings.Replace(text, "      text: teksti\n      text_format: muoto\n",
				"      text: {from: tiedosto, file_root: "+root+"}\n      text_format: {value: auto}\n", 1)
			return strings.Replace(text, "display_only_documents: true\n", fmt.Sprintf("display_only_documents: true\npdfa_documents: %v\n", stated), 1)
		})
		docs := s.records["asiakirjat"]
		base := docs[0]
		docs = docs[:0]
		for i, name := range []string{"hakemus.pdf", "salattu.pdf", "skannaus.tif"} {
			d := map[string]string{}
			for f, v := range base {
				d[f] = v
			}
			d["id"], d["tiedosto"] = fmt.Sprintf("S%d", i+1), name
			docs = append(docs, d)
		}
		s.records["asiakirjat"] = docs
		rep := s.dryRun()
		want := map[string]string{"S1": kanta.RulePDFACarried, "S2": kanta.RulePDFAInvalid, "S3": kanta.RulePDFACarried}
		if !stated {
			want = map[string]string{"S1": kanta.RuleNoPDFARoute, "S2": kanta.RuleNoPDFARoute, "S3": kanta.RuleNoPDFARoute}
		}
		for key, rule := range want {
			if !hasFinding(rep, "document", key, rule) {
				t.Errorf("pdfa_documents %v: want %s on %s: rejects %v", stated, rule, key, rep.Rejects)
			}
		}
		if stated && rep.Inferences[kanta.InferPDFA] != 2 {
			t.Errorf("pdfa-storage-form counted %d times, want the 2 scans carried", rep.Inferences[kanta.InferPDFA])
		}
	}
}

// An old client relationship without a birth date is refused by the
// builder (a valid identity code always gives one, so only a model built
// otherwise can lack it).
func oldWithoutBirthDate(t *testing.T) {
	s := newScenario(t, nil)
	tr := transform.New(transform.Settings{Custodian: s.m.Custodian, Organiser: s.m.Organiser, Location: s.m.Location, CodeSets: s.m.CodeSets, Schemas: s.schemas, TestRehearsal: true})
	rel := kanta.Relationship{SourceKey: "A1", Old: true, Start: time.Date(2020, 1, 1, 0, 0, 0, 0, s.m.Location), Unit: s.m.ServiceUnit,
		Client: kanta.Client{IdentityCode: "150467-949T", FamilyName: "Demola", GivenNames: "Saimi"}}
	_, err := tr.Relationship(rel, transform.IDs{Document: "1.2.246.10.99999991.95.9.3.1", Relationship: "1.2.246.10.99999991.95.9.1.1"})
	var ne *transform.NationalRuleError
	if !errors.As(err, &ne) || ne.Rule != kanta.RuleOldBirthDate {
		t.Errorf("want a %s refusal, got %v", kanta.RuleOldBirthDate, err)
	}
}

// failingSink fails every document after the first n with err.
type failingSink struct {
	mu   sync.Mutex
	n    int
	err  error
	seen int
}

func (f *failingSink) Deliver(_ context.Context, d *sink.Delivery) (sink.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen++
	if f.seen > f.n {
		return sink.Receipt{}, f.err
	}
	return sink.Receipt{}, nil
}
func (f *failingSink) Close() error   { return nil }
func (f *failingSink) String() string { return "failing:test" }

// refuseNth refuses the nth document delivered to it (counting from 1) for
// good, and takes every other.
type refuseNth struct {
	mu       sync.Mutex
	n, seen  int
	accepted []string
}

func (f *refuseNth) Deliver(_ context.Context, d *sink.Delivery) (sink.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen++
	if f.seen == f.n {
		return sink.Receipt{}, &sink.PermanentError{Reason: "refused by the test"}
	}
	f.accepted = append(f.accepted, d.Kind)
	return sink.Receipt{}, nil
}
func (f *refuseNth) Close() error   { return nil }
func (f *refuseNth) String() string { return "refusing:test" }

// A document the archive refuses does not stop the run: it is recorded
// with the archive's answer (archive-rejected), the client's later document
// waits for it (held-back), the other client is delivered, and the run says
// so (ErrRefused). A second start sends neither again; a third with
// --retry-refused sends both; one whose content changed is sent again at a
// re-staging without being asked.
func refusedDocument(t *testing.T) {
	s := newScenario(t, nil)
	path := filepath.Join(t.TempDir(), "run.db")
	outcomes := func() map[string]string {
		st, err := sqlite.OpenReadOnly(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		got := map[string]string{}
		for _, key := range []string{"asiakirjat:K1", "asiakirjat:K2"} {
			r, err := st.Get("document", key)
			if err != nil || r == nil {
				t.Fatalf("%s: %v", key, err)
			}
			got[key] = r.Outcome + " " + r.Rule
		}
		r, err := st.Get("client", "asiakkaat:A2")
		if err != nil || r == nil {
			t.Fatalf("A2: %v", err)
		}
		got["A2"] = r.Outcome
		return got
	}
	// Delivered in order: A1's relationship, case S1, K1 (refused), K2, A2's relationship.
	first := &refuseNth{n: 3}
	rep, err := s.run(path, first)
	var refused *pipeline.ErrRefused
	if !errors.As(err, &refused) || refused.Refused != 1 || refused.HeldBack != 1 {
		t.Fatalf("first start: %v, want one refused and one held back", err)
	}
	want := map[string]string{"asiakirjat:K1": "pending archive-rejected", "asiakirjat:K2": "pending held-back", "A2": "loaded"}
	if got := outcomes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the first start: %v, want %v", got, want)
	}
	if len(rep.Refused) != 2 {
		t.Errorf("the report lists %d refused or waiting, want 2: %+v", len(rep.Refused), rep.Refused)
	}
	second := &refuseNth{}
	if _, err := s.run(path, second); !errors.As(err, &refused) || refused.Refused != 1 || refused.NewlyRefused != 0 || len(second.accepted) != 0 {
		t.Fatalf("second start: %v, sent %v; want the refusal kept and nothing sent", err, second.accepted)
	}
	third := &refuseNth{}
	if _, err := s.runWith(path, third, pipeline.RunOptions{RetryRefused: true}); err != nil || len(third.accepted) != 2 {
		t.Fatalf("with --retry-refused: %v, sent %v; want K1 and K2", err, third.accepted)
	}

	// An error budget of no document: the refusal uses it up, and the
	// delivery stops there (exit 4), what was sent staying sent.
	s = newScenario(t, func(m string) string { return m + "\nerror_budget:\n  rejected:\n    document: 0\n" })
	path = filepath.Join(t.TempDir(), "run.db")
	var over *budget.ErrExceeded
	if _, err := s.run(path, &refuseNth{n: 3}); !errors.As(err, &over) || !over.AtDelivery || !strings.Contains(err.Error(), "delivery stopped") {
		t.Fatalf("a refusal over the error budget: %v", err)
	}

	// stop_on: [archive-rejected] stops at the first refusal.
	s = newScenario(t, func(m string) string { return m + "\nerror_budget:\n  stop_on: [archive-rejected]\n" })
	path = filepath.Join(t.TempDir(), "run.db")
	if _, err := s.run(path, &refuseNth{n: 3}); !errors.As(err, &over) || !over.AtDelivery {
		t.Fatalf("a refusal with stop_on archive-rejected: %v", err)
	}

	// Refused, then changed in the source: sent again at a re-staging.
	s = newScenario(t, nil)
	path = filepath.Join(t.TempDir(), "run.db")
	if _, err := s.run(path, &refuseNth{n: 3}); !errors.As(err, &refused) {
		t.Fatalf("first start: %v", err)
	}
	s.records["asiakirjat"][0]["teksti"] = "Ensimmäinen, korjattu."
	again := &refuseNth{}
	if _, err := s.runWith(path, again, pipeline.RunOptions{Restage: true}); err != nil || len(again.accepted) != 2 {
		t.Fatalf("re-staged after the correction: %v, sent %v; want K1 and K2", err, again.accepted)
	}
}

// run runs the scenario into a sink over a state file; the store is
// reopened for each run, as a second command would.
func (s *scenario) run(path string, sk sink.Sink) (*report.Report, error) {
	s.t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	r := s.runner(st)
	return r.Run(context.Background(), pipeline.RunOptions{Sink: sk, Senders: 1})
}

// runWith is run with options (Sink and Senders are set here).
func (s *scenario) runWith(path string, sk sink.Sink, ro pipeline.RunOptions) (*report.Report, error) {
	s.t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	ro.Sink, ro.Senders = sk, 1
	return s.runner(st).Run(context.Background(), ro)
}

// A sink that fails records the failure on the document, which stays
// pending: delivery for a failure, archive-rejected for a refusal.
func deliveryFailure(t *testing.T, failure error, rule string) {
	s := newScenario(t, nil)
	path := filepath.Join(t.TempDir(), "run.db")
	if _, err := s.run(path, &failingSink{n: 2, err: failure}); err == nil {
		t.Fatal("the run went on past a failing sink")
	}
	st, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	failures, err := st.Failures(10)
	if err != nil || len(failures) != 1 || failures[0].Rule != rule || failures[0].Outcome != state.Pending {
		t.Errorf("failures %+v %v; want one pending under %s", failures, err, rule)
	}
}

// A document delivered in a run that then stopped, whose source changed
// before the run was continued, is warned about and not sent again.
func changedAfterDelivery(t *testing.T) {
	s := newScenario(t, nil)
	path := filepath.Join(t.TempDir(), "run.db")
	// The relationship, the case and the first document go; the second fails.
	if _, err := s.run(path, &failingSink{n: 3, err: errors.New("the connection was lost")}); err == nil {
		t.Fatal("the first run did not stop")
	}
	s.records["asiakirjat"][0]["teksti"] = "Ensimmäinen, muutettu."
	rep, err := s.runWith(path, &failingSink{n: 100}, pipeline.RunOptions{Restage: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasFinding(rep, "document", "K1", kanta.RuleChangedAfterDelivery) {
		t.Errorf("no changed-after-delivery warning on K1: %v", rep.Warnings)
	}
}

// A source that yields no records (here an XML export whose record path
// matches nothing) is warned about: counted and read agree at zero.
func emptySource(t *testing.T) {
	s := newScenario(t, nil)
	path := filepath.Join(t.TempDir(), "asiakkaat.xml")
	if err := os.WriteFile(path, []byte(`<export><client><asnro>A1</asnro></client></export>`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.files["asiakkaat"] = extract.Spec{Kind: "xml", File: path, Record: "/vienti/asiakas"}
	rep := s.dryRun()
	if !hasFinding(rep, "client", "", kanta.RuleEmptySource) || !rep.Reconciles() {
		t.Errorf("no empty-source warning, or not reconciled: %v", rep.Warnings)
	}
}

// A run stopped after its staging is continued without reading the sources
// (they may be unreachable); continued with Restage after a record left the
// source, that record is warned by name and not delivered.
func goneFromSource(t *testing.T) {
	s := newScenario(t, nil)
	path := filepath.Join(t.TempDir(), "run.db")
	// The relationship, the case and the first document go; the second fails.
	if _, err := s.run(path, &failingSink{n: 3, err: errors.New("the connection was lost")}); err == nil {
		t.Fatal("the first run did not stop")
	}
	// The sources unreachable: a resume delivers what was staged.
	s.files["asiakkaat"] = extract.Spec{Kind: "csv", File: filepath.Join(t.TempDir(), "gone.csv")}
	s.records["asiakirjat"] = s.records["asiakirjat"][:1] // K2 leaves the source
	if _, err := s.runWith(path, &failingSink{n: 0, err: errors.New("the connection was lost again")}, pipeline.RunOptions{}); err == nil || !strings.Contains(err.Error(), "lost again") {
		t.Fatalf("a resume read the sources, or did not reach delivery: %v", err)
	}
	delete(s.files, "asiakkaat")
	rep, err := s.runWith(path, &failingSink{n: 100}, pipeline.RunOptions{Restage: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasFinding(rep, "document", "K2", kanta.RuleGoneFromSource) {
		t.Errorf("no gone-from-source warning on K2: %v", rep.Warnings)
	}
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if r, err := st.Get("document", "asiakirjat:K2"); err != nil || r == nil || r.Outcome != state.Skipped || r.Rule != kanta.RuleGoneFromSource {
		t.Errorf("K2: %+v %v; want it skipped, not delivered", r, err)
	}
}
