package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/extract/sqltest"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/state/postgres/pgtest"
	"github.com/kantamig/kantamig/state/sqlite"
)

var db *sqltest.Server

// pg is the PostgreSQL server of the tests that need a shared store (nil
// when none runs here).
var pg *pgtest.Server

// cleanups run after every test of the package (what tests share: the
// full sample's documents).
var cleanups []func()

func TestMain(m *testing.M) {
	code := pgtest.Main(runFunc(func() int { return sqltest.Main(m, func(s *sqltest.Server) { db = s }) }), func(s *pgtest.Server) { pg = s })
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

type runFunc func() int

func (f runFunc) Run() int { return f() }

func needDB(t *testing.T) {
	t.Helper()
	if db == nil {
		testenv.Missing(t, "MariaDB (apt-get install mariadb-server)")
	}
	t.Setenv("KANTAMIG_SOURCE_DSN", db.DSN)
}

// needSmallDB is needDB with the small sample's database
// (samples/legacy-small) as the source.
func needSmallDB(t *testing.T) {
	t.Helper()
	needDB(t)
	t.Setenv("KANTAMIG_SOURCE_DSN", db.SmallDSN)
}

const dbMapping = "../mappings/sosiaalitoimi-classic-mariadb.yaml"

func dryRunWith(t *testing.T, mappingFile, docs string) *Runner {
	t.Helper()
	m, schemas, err := Load(mappingFile, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(m, schemas, Options{DocumentsDir: docs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := r.DryRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

var signature = regexp.MustCompile(`(?s)<signatureCollection.*?</signatureCollection>\n`)

// The same legacy data read from the database and from the file export
// gives the same documents, byte for byte but for the signatures.
func TestDatabaseAndFilesGiveTheSameDocuments(t *testing.T) {
	needSmallDB(t)
	dbDocs, fileDocs := t.TempDir(), t.TempDir()
	fromDB := dryRunWith(t, dbMapping, dbDocs)
	fromFiles := dryRunWith(t, testenv.SmallClassic(t, nil), fileDocs)
	for _, e := range []string{"client", "case", "document"} {
		a, b := fromDB.rep.Entities[e], fromFiles.rep.Entities[e]
		if a.WouldLoad != b.WouldLoad || a.Rejected != b.Rejected {
			t.Errorf("%s: database %+v, files %+v", e, a, b)
		}
	}
	files, _ := filepath.Glob(filepath.Join(fileDocs, "*.xml"))
	if len(files) == 0 {
		t.Fatal("no documents")
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(dbDocs, filepath.Base(f)))
		if err != nil {
			t.Fatalf("%s made from the files but not from the database", filepath.Base(f))
		}
		if !bytes.Equal(signature.ReplaceAll(got, nil), signature.ReplaceAll(want, nil)) {
			t.Fatalf("%s differs between the database and the files", filepath.Base(f))
		}
	}
	// The planted bad records are rejected for the same reasons.
	rules := func(r *Runner) map[string]string {
		out := map[string]string{}
		for _, f := range r.rep.Rejects {
			out[f.Entity+"/"+f.Key] = f.Rule
		}
		return out
	}
	a, b := rules(fromDB), rules(fromFiles)
	for k, rule := range b {
		if a[k] != rule {
			t.Errorf("%s: files reject with %s, the database with %q", k, rule, a[k])
		}
	}
	t.Logf("%d documents identical", len(files))
}

// A connection lost while staging stops the run with an error that names the
// source and its query; the next run completes, nothing lost or doubled.
func TestRunResumesAfterLostConnection(t *testing.T) {
	needSmallDB(t)
	dir := t.TempDir()
	pkg := filepath.Join(dir, "package")
	run := func(kill bool) error {
		m, schemas, err := Load(dbMapping, testenv.Sosmeta())
		if err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(filepath.Join(dir, "run.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sk, err := sink.OpenDir(pkg)
		if err != nil {
			t.Fatal(err)
		}
		defer sk.Close()
		r, err := Prepare(m, schemas, Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		var progress Progress
		if kill {
			progress = &killAfter{n: 90} // in the middle of the cases
		}
		_, err = r.Run(context.Background(), RunOptions{Sink: sk, Progress: progress})
		return err
	}
	err := run(true)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "query: SELECT") {
		t.Fatalf("want a source error naming the entity and the query, got %v", err)
	}
	t.Logf("first run: %v", err)
	if err := db.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KANTAMIG_SOURCE_DSN", db.SmallDSN)
	if err := run(false); err != nil {
		t.Fatalf("resume: %v", err)
	}
	res, err := archive.JudgePackage(pkg, judgeOf(t, dbMapping))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	if want := wouldLoadTotal(t); res.Documents != want {
		t.Errorf("%d documents in the package, want %d", res.Documents, want)
	}
}

// killAfter stops the database server once n records have been staged: the
// source goes away in the middle of the run.
type killAfter struct {
	n, seen int64
}

func (k *killAfter) Start(string, int64) {}
func (k *killAfter) Finish()             {}
func (k *killAfter) Add(n int64) {
	k.seen += n
	if k.seen == k.n {
		db.Kill()
	}
}

// check against a database: the server describes each query, no row is
// read, and a column the mapping names that the query lacks is a problem at
// the field's position, with the nearest column suggested.
func TestCheckAgainstTheDatabase(t *testing.T) {
	needDB(t)
	m, _, err := Load(dbMapping, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	if problems, warnings := mapping.CheckSources(context.Background(), m); len(problems)+len(warnings) != 0 {
		t.Fatalf("the sample database mapping: problems %v, warnings %v", problems, warnings)
	}
	file := testenv.SampleMapping(t, "sosiaalitoimi-classic-mariadb.yaml", func(s string) string {
		return strings.Replace(s, "    family_name: sukunimi\n", "    family_name: sukunimi_x\n", 1)
	})
	m, _, err = Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	problems, _ := mapping.CheckSources(context.Background(), m)
	if len(problems) != 1 || !strings.Contains(problems[0].Msg, `source "asiakkaat" has no column "sukunimi_x"`) || !strings.Contains(problems[0].Hint, `did you mean "sukunimi"?`) {
		t.Errorf("want one problem for the misspelt column, got %v", problems)
	}
}
