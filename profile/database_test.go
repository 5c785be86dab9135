package profile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/kantamig/kantamig/extract/sqltest"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/profile"
)

// startDB starts the sample databases on a MariaDB server of the test's own.
func startDB(t *testing.T) *sqltest.Server {
	t.Helper()
	if !sqltest.Available() {
		testenv.Missing(t, "MariaDB (apt-get install mariadb-server)")
	}
	db, err := sqltest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Kill)
	return db
}

// profile --init over the second sample system's database: the tables
// from the catalogue, each table's primary key as its key, the references
// named; the skeleton parses, and once its TODOs are filled (as a team
// would, here by rule) kantamig check accepts it.
func TestSkeletonOfTheSampleDatabase(t *testing.T) {
	db := startDB(t)
	t.Setenv("KOTIHOITO_DSN", db.KotihoitoDSN)
	p, err := profile.OfDatabase(context.Background(), "mysql", "KOTIHOITO_DSN", "", profile.Options{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, s := range p.Sources {
		tables = append(tables, s.Name)
	}
	if got := strings.Join(tables, " "); got != "asia asiakas asian_jasen omainen osoite palvelualue palvelusuhde suunnitelma suunnitelmateksti tyontekija" {
		t.Errorf("tables %s", got)
	}
	out := filepath.Join(t.TempDir(), "skeleton.yaml")
	if err := profile.WriteSkeleton(p, out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	text := string(data)
	for _, want := range []string{
		"asiakas: {kind: mysql, dsn_env: KOTIHOITO_DSN, table: asiakas}",
		"clients:", "  key: asiakasnro   # the table's primary key",
		"cases:", "  key: [vuosi, numero]",
		"case_members:", "  key: [vuosi, numero, asiakasnro]",
		"service_task_relationships:", "  key: [asiakasnro, alue, alkoi]",
		"client_addresses:", "related_persons:",
		"refers to asiakas.asiakasnro (named as its key)",
		`"KH": TODO`, `"PA": TODO`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("skeleton lacks %q", want)
		}
	}
	var parsed map[string]any
	if err := yaml.Unmarshal(data, &parsed); err != nil {
		t.Fatalf("the skeleton does not parse: %v\n%s", err, text)
	}
	if _, _, err := pipeline.Load(out, testenv.Sosmeta()); err == nil || !strings.Contains(err.Error(), "TODO") {
		t.Errorf("check of the skeleton: %v, want it refused for its TODOs", err)
	}

	// Its TODOs filled as a team would: the organisation, the cut-off, a
	// national code for each legacy value (case names and statuses from
	// the sample code sets, a rehearsal), the fields no column is named
	// like. Nothing else is changed: check then accepts it.
	filled := text
	for _, r := range []struct{ pattern, with string }{
		{`system: TODO.*`, "system: Kotihoito Lite"},
		{`custodian: \{oid: TODO, name: TODO\}`, "custodian: {oid: 1.2.246.10.99999991.10.0, name: Kuvitelman hyvinvointialue}"},
		{`service_unit: \{oid: TODO, name: TODO\}`, "service_unit: {oid: 1.2.246.10.99999991.10.100, name: Kotihoito}"},
		{`oid_root: TODO`, "oid_root: 1.2.246.10.99999991.95.2"},
		{`cutoff: TODO`, "cutoff: 2024-01-01"},
		{`timezone: Europe/Helsinki`, "timezone: Europe/Helsinki\ntest_rehearsal: true\ncodesets:\n  - {set: case-name, file: " +
			filepath.Join(testenv.Root(), "samples", "codesets", "asian-nimi.csv") + "}\n  - {set: case-status, file: " +
			filepath.Join(testenv.Root(), "samples", "codesets", "asian-tila.csv") + "}"},
		{`("PAA"|"AVO"): TODO`, `$1: "92"`},
		{`("KH"|"PA"|"PAX"): TODO`, `$1: "10"`},
		{`(?m)^      # TODO: the values of column nimi .*$`, `      "KOTI": "91"` + "\n" + `      "PAIH": "91"`},
		{`case: TODO.*`, `case: {from: [vuosi, numero], join: "|"}`},
		{`type: TODO.*`, `type: {value: "15"}`},
	} {
		filled = regexp.MustCompile(r.pattern).ReplaceAllString(filled, r.with)
	}
	if err := os.WriteFile(out, []byte(filled), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _, err := pipeline.Load(out, testenv.Sosmeta())
	if err != nil {
		t.Fatalf("check of the filled skeleton: %v\n%s", err, filled)
	}
	if problems, _ := mapping.CheckSources(context.Background(), m); len(problems) > 0 {
		t.Errorf("the filled skeleton's sources: %v", problems)
	}
}

// --init's skeleton always parses as YAML, with no key twice, whatever the
// sources hold: random files with hostile column names and values, and
// the real samples together (two document sources become a list).
func TestSkeletonAlwaysParses(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 26))
	alphabet := []rune(`abcAÄÖ _-:#"'{}[],&*!|>%@\` + "`?=~\t.ä€")
	word := func(n int) string {
		r := make([]rune, 1+rng.IntN(n))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	var files []string
	for f := range 12 {
		cols := 2 + rng.IntN(6)
		header := make([]string, cols)
		for i := range header {
			switch rng.IntN(6) {
			case 0:
				header[i] = []string{"hetu", "asiakasnro", "palvelu", "tila", "teksti", "laadittu", "asia_id", "id"}[rng.IntN(8)]
			case 1:
				header[i] = header[0] // a name twice
			default:
				header[i] = word(12)
			}
		}
		var b strings.Builder
		for i, h := range header {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(quote(h))
		}
		b.WriteString("\n")
		for range 30 {
			for i := range header {
				if i > 0 {
					b.WriteString(",")
				}
				switch rng.IntN(5) {
				case 0:
					b.WriteString(quote(strings.Repeat(word(20)+" ", 10)))
				case 1:
					b.WriteString(quote([]string{"010180-950R", "150467-949t", "30.2.2010", "2020-01-01", "X"}[rng.IntN(5)]))
				default:
					b.WriteString(quote(word(5)))
				}
			}
			b.WriteString("\n")
		}
		path := filepath.Join(dir, fmt.Sprintf("%s%d.csv", strings.Map(func(r rune) rune {
			if strings.ContainsRune(`/\`, r) {
				return '_'
			}
			return r
		}, word(6)), f))
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	for _, set := range [][]string{files, {"../samples/legacy/asiakkaat.csv", "../samples/legacy/asiat.xlsx", "../samples/legacy/asiakirjat.xml",
		"../samples/kotihoito/paatokset.xlsx", "../samples/kotihoito/kaynnit.xml"}} {
		out, data := skeletonOf(t, set, profile.Options{MinCount: 1})
		var parsed map[string]any
		if err := yaml.UnmarshalWithOptions(data, &parsed, yaml.Strict()); err != nil {
			t.Fatalf("the skeleton of %d sources does not parse: %v\n%s", len(set), err, data)
		}
		if _, _, err := pipeline.Load(out, testenv.Sosmeta()); err == nil || strings.Contains(err.Error(), "syntax") || strings.Contains(err.Error(), "duplicate") {
			t.Errorf("check of the skeleton: %v, want it refused for its TODOs only", err)
		}
	}
}

// A mapping file with only its sources (a mapping being started) is
// profiled as they are named there: a database query and a file.
func TestSkeletonOfASourcesOnlyMapping(t *testing.T) {
	db := startDB(t)
	t.Setenv("KOTIHOITO_DSN", db.KotihoitoDSN)
	dir := t.TempDir()
	file := filepath.Join(dir, "start.yaml")
	os.WriteFile(file, []byte("version: 1\nsources:\n"+
		"  asiakkaat: {kind: mysql, dsn_env: KOTIHOITO_DSN, query: \"SELECT asiakasnro, hetu, sukunimi, etunimet, alkaen FROM asiakas\"}\n"+
		"  kaynnit: {kind: xml, file: "+filepath.Join(testenv.Root(), "samples", "kotihoito", "kaynnit.xml")+", record: /vienti/asiakas/merkinta}\n"), 0o600)
	if !mapping.SourcesOnly(file) {
		t.Fatal("not seen as a sources-only mapping")
	}
	specs, err := mapping.LoadSources(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.OfSources(context.Background(), specs, profile.Options{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "skeleton.yaml")
	if err := profile.WriteSkeleton(p, out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	var parsed map[string]any
	if err := yaml.UnmarshalWithOptions(data, &parsed, yaml.Strict()); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, data)
	}
	for _, want := range []string{`query: "SELECT asiakasnro, hetu, sukunimi, etunimet, alkaen FROM asiakas"`, "clients:", "identity_code: hetu", "record: /vienti/asiakas/merkinta"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("skeleton lacks %q\n%s", want, data)
		}
	}
}

// profile --init over the third sample system's database: a BLOB column
// of RTF and HTML is read as bytes in the format its row names, a column
// of file names from a folder still to be given, each with the length the
// source recorded, and the attachment's column named; the profile counts
// the formats and file names (written here from the sample's rows: five
// RTF and three HTML notes, thirteen file names) and lists none of them.
func TestSkeletonOfADatabaseOfRichTextsAndFiles(t *testing.T) {
	db := startDB(t)
	t.Setenv("ARKISTO_DSN", db.ArkistoDSN)
	p, err := profile.OfDatabase(context.Background(), "mysql", "ARKISTO_DSN", "", profile.Options{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	column := func(source, name string) *profile.Column {
		for _, s := range p.Sources {
			for _, c := range s.Columns {
				if s.Name == source && c.Name == name {
					return c
				}
			}
		}
		t.Fatalf("no column %s.%s", source, name)
		return nil
	}
	if c := column("muistio", "teksti"); c.BodyFormats["rtf"] != 5 || c.BodyFormats["html"] != 3 || len(c.Top) != 0 {
		t.Errorf("muistio.teksti: formats %v, listed %v; want rtf 5, html 3, nothing listed", c.BodyFormats, c.Top)
	}
	if c := column("asiakirja", "tiedosto"); c.FilePaths != 13 {
		t.Errorf("asiakirja.tiedosto: %d file names, want 13", c.FilePaths)
	}
	out := filepath.Join(t.TempDir(), "skeleton.yaml")
	if err := profile.WriteSkeleton(p, out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	for _, want := range []string{
		"text: {from: teksti, binary: true, trim: false, length_from: teksti_pituus}",
		"text_format: muoto",
		"text: {from: tiedosto, file_root: TODO, length_from: koko}",
		"text_format: {value: auto}",
		"attached_to: liite_kohde",
		"pdfa_documents: true",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the skeleton lacks %q:\n%s", want, data)
		}
	}
}
