package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

// ledgerFixture is a small export of the classic sample system: two
// clients, a case, three documents (one of them rejected).
var ledgerFixture = map[string][]map[string]string{
	"asiakkaat": {
		{"asnro": "A1", "hetu": "150467-949T", "sukunimi": "Demola", "etunimet": "Saimi", "sukupuoli": "N", "turvakielto": "E", "alkupvm": "15.11.2020", "palvelut": "LP"},
		{"asnro": "A2", "hetu": "010203A951P", "sukunimi": "Kaksonen", "etunimet": "Eka", "sukupuoli": "N", "alkupvm": "01.01.2020", "palvelut": "LP"},
	},
	"asiat": {{"asia_id": "S1", "asiakkaat": "A1", "asian_nimi": "PTA", "tila": "KAS", "avattu": "16.11.2020", "palvelu": "LP"}},
	"asiakirjat": {
		{"@id": "D1", "asiakas": "A1", "asia": "S1", "tyyppi": "SUUN", "palvelu": "LP", "laadittu": "2021-03-04T10:15:00", "teksti": "Ensimmäinen."},
		{"@id": "D2", "asiakas": "A1", "asia": "S1", "tyyppi": "SUUN", "palvelu": "LP", "laadittu": "2021-03-05T10:15:00", "teksti": "Toinen."},
		{"@id": "D3", "asiakas": "A2", "asia": "S1", "tyyppi": "SUUN", "palvelu": "LP", "laadittu": "2021-03-06T10:15:00", "teksti": "Toisen asiakkaan."},
	},
}

// fixtureSource yields a fixture's records of one source; with a count, it
// also counts itself as a source would (extract.Counter).
type fixtureSource struct {
	name    string
	records []map[string]string
	next    int
	count   *int
}

func (s *fixtureSource) Next(context.Context) (extract.Record, error) {
	if s.next >= len(s.records) {
		return extract.Record{}, io.EOF
	}
	s.next++
	return extract.Record{Fields: s.records[s.next-1], Locator: fmt.Sprintf("fixture:%s[%d]", s.name, s.next), Position: s.next}, nil
}
func (s *fixtureSource) Columns() []string { return nil }
func (s *fixtureSource) Close() error      { return nil }

type countedSource struct{ *fixtureSource }

func (s countedSource) CountRecords(context.Context) (int, string, error) {
	return *s.count, "the fixture's own count", nil
}

// losingStore is a real store that loses the nth new row of an entity: a
// record dropped between extraction and the store, as a bug would drop it.
type losingStore struct {
	state.Store
	entity string
	nth    int
	seen   map[string]bool
}

func (s *losingStore) Put(r *state.Record) error {
	if r.Entity == s.entity && !s.seen[r.Key] {
		s.seen[r.Key] = true
		if len(s.seen) == s.nth {
			return nil
		}
	}
	return s.Store.Put(r)
}

type ledgerCase struct {
	store       func(state.Store) state.Store // wraps the store, or nil
	sourceCount map[string]int                // a source's own count, by source
}

// prepareFixture readies a dry-run or run of the fixture over a store in dir.
func prepareFixture(t *testing.T, dir string, c ledgerCase) (*Runner, state.Store) {
	t.Helper()
	m, schemas, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	real, err := sqlite.Open(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { real.Close() })
	var st state.Store = real
	if c.store != nil {
		st = c.store(real)
	}
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 2, OpenSource: func(em *mapping.EntityMapping) (extract.Source, error) {
		src := &fixtureSource{name: em.SourceName, records: ledgerFixture[em.SourceName]}
		if n, ok := c.sourceCount[em.SourceName]; ok {
			src.count = &n
			return countedSource{src}, nil
		}
		return src, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return r, real
}

// The dry-run's reconciliation can fail: a record lost between reading and
// the store, or a source that counts otherwise than it was read, each make
// it say so, naming the entity and the source; the fixture as it is
// reconciles.
func TestDryRunReconciliationCanFail(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       ledgerCase
		problem string // in the one problem, "" for none
	}{
		{"as read", ledgerCase{}, ""},
		{"the source counts as many", ledgerCase{sourceCount: map[string]int{"asiakirjat": 3}}, ""},
		{"a document lost before the store", ledgerCase{store: func(st state.Store) state.Store {
			return &losingStore{Store: st, entity: "document", nth: 2, seen: map[string]bool{}}
		}}, `document from source "asiakirjat": 3 record(s) read, but the state store accounts for 2`},
		{"a client lost before the store", ledgerCase{store: func(st state.Store) state.Store {
			return &losingStore{Store: st, entity: "client", nth: 2, seen: map[string]bool{}}
		}}, `client from source "asiakkaat": 2 record(s) read, but the state store accounts for 1`},
		{"the source counts one more than was read", ledgerCase{sourceCount: map[string]int{"asiat": 2}},
			`case from source "asiat": the source counts 2 record(s) (the fixture's own count), the extraction read 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := prepareFixture(t, t.TempDir(), tc.c)
			rep, err := r.DryRun(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			problems := rep.ReconciliationProblems()
			if tc.problem == "" {
				if len(problems) > 0 || rep.Total.Extracted != 6 {
					t.Errorf("extracted %d, problems %q", rep.Total.Extracted, problems)
				}
				return
			}
			if rep.Reconciles() || len(problems) != 1 || !strings.Contains(problems[0], tc.problem) {
				t.Errorf("problems %q, want one with %q", problems, tc.problem)
			}
		})
	}
}

// A run whose staging lost a record stops before delivering anything; a row
// removed from the state file after a complete run makes status say the
// counts do not reconcile.
func TestRunLedgerCanFail(t *testing.T) {
	t.Run("a record lost at staging", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r, st := prepareFixture(t, dir, ledgerCase{store: func(st state.Store) state.Store {
			return &losingStore{Store: st, entity: "document", nth: 1, seen: map[string]bool{}}
		}})
		sk, err := sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sk.Close()
		_, err = r.Run(context.Background(), RunOptions{Sink: sk})
		if !ledger.IsUnreconciled(err) || !strings.Contains(err.Error(), `document from source "asiakirjat"`) {
			t.Fatalf("run: %v", err)
		}
		counts, _ := st.Counts()
		if counts["document"][state.Loaded]+counts["client"][state.Loaded] != 0 {
			t.Errorf("something was delivered: %v", counts)
		}
	})
	t.Run("a row removed after the run", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r, st := prepareFixture(t, dir, ledgerCase{})
		sk, err := sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Run(context.Background(), RunOptions{Sink: sk})
		sk.Close()
		if err != nil || !rep.Reconciles() {
			t.Fatalf("run: %v %q", err, rep.ReconciliationProblems())
		}
		s, err := ledger.ReadStatus(st, "run.db")
		if err != nil || !s.Reconciles || !s.Complete {
			t.Fatalf("status after the run: %v %+v", err, s)
		}
		st.Close()
		db, err := sql.Open("sqlite", filepath.Join(dir, "run.db"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Exec(`DELETE FROM records WHERE entity = 'document' AND key = 'asiakirjat:D2'`)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("deleting the row: %v (%d rows)", err, n)
		}
		db.Close()
		ro, err := sqlite.OpenReadOnly(filepath.Join(dir, "run.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		s, err = ledger.ReadStatus(ro, "run.db")
		if err != nil || s.Reconciles || s.Complete || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], `document from source "asiakirjat": 3 record(s) read, but the state store accounts for 2`) {
			t.Fatalf("status after the row went: %v %+v", err, s)
		}
		rep = report.New(report.Settings{})
		if _, err := ledger.Account(ro, rep, 0); err != nil || rep.Reconciles() {
			t.Errorf("the report from the store: %v %q", err, rep.ReconciliationProblems())
		}
	})
}
