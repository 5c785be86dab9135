package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/statetest"
)

func TestRecordsSurviveReopenAndOIDsAreMintedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	oid, err := s.Mint("1.2.3", "3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(&Record{Entity: "document", Key: "D1", Pass: 1, Locator: "a.xml:1", Outcome: Pending, DocOID: oid}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get("document", "D1")
	if err != nil || r == nil || r.DocOID != "1.2.3.3.1" {
		t.Fatalf("after reopening: %+v %v", r, err)
	}
	next, _ := s.Mint("1.2.3", "3")
	if next != "1.2.3.3.2" {
		t.Errorf("the sequence restarted: %s", next)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path)
	var locked *ErrLocked
	if !errors.As(err, &locked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
}

// The dry-run's temporary index lives in the folder it is given, 0700, is
// removed on Close, and one left behind by a killed process (its lock gone
// with the process) is removed by the next OpenTemp there; one in use is not.
func TestTempStoreIsPrivateRemovedAndStaleOnesCleaned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "work")
	live, err := OpenTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("work folder: %v %v", fi.Mode().Perm(), err)
	}
	killed, err := OpenTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := killed.Put(&Record{Entity: "client", Key: "k", Locator: "l", Outcome: Pending}); err != nil {
		t.Fatal(err)
	}
	killed.Commit()
	killed.lock.Close() // as kill -9 would: the file stays, the lock goes
	killed.db.Close()
	if _, err := os.Stat(killed.Location()); err != nil {
		t.Fatal(err)
	}
	next, err := OpenTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed.Location()); !os.IsNotExist(err) {
		t.Errorf("the killed run's index is still there: %v", err)
	}
	if _, err := os.Stat(live.Location()); err != nil {
		t.Errorf("an index in use was removed: %v", err)
	}
	for _, s := range []*Store{live, next} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("left in the work folder after Close: %v", left)
	}
}

// The SQLite store passes the state store conformance suite.
func TestConformance(t *testing.T) {
	statetest.Run(t, statetest.Backend{
		New:  func(t *testing.T) string { return filepath.Join(t.TempDir(), "run.db") },
		Open: func(loc string) (state.Store, error) { return Open(loc) },
		Crash: func(st state.Store) {
			s := st.(*Store)
			if s.tx != nil {
				s.tx.Rollback() // what was not committed dies with the process
			}
			s.db.Close()
			s.lock.Close()
		},
	})
}

// BenchmarkStore: the state store's share of a run, per document (statetest.Bench).
func BenchmarkStore(b *testing.B) {
	statetest.Bench(b, benchStore(b))
}

// BenchmarkStoreDelivery: the delivery phase's share, over a staged store
// larger than SQLite's cache (statetest.BenchDelivery).
func BenchmarkStoreDelivery(b *testing.B) {
	statetest.BenchDelivery(b, benchStore(b))
}

// benchStore opens a new store for a benchmark, closed when it ends.
func benchStore(b *testing.B) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "run.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// A store written before models had their own table keeps each model in its
// record's row: it is still read from there.
func TestReadsModelsOfEarlierStores(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(&state.Record{Entity: "document", Key: "D1", Pass: 1, Locator: "a.xml:1", Outcome: state.Pending, Model: []byte("model one")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	// The layout of earlier stores: the model in the row, none in models.
	if _, err := s.db.Exec(`UPDATE records SET model = (SELECT model FROM models WHERE key = 'D1') WHERE key = 'D1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM models`); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get("document", "D1")
	if err != nil || r == nil || string(r.Model) != "model one" {
		t.Fatalf("Get: %+v %v, want the model kept in the row", r, err)
	}
	// Staged again, the record's model moves to its table; a record staged
	// without a model has none.
	r.Model = []byte("model two")
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get("document", "D1"); r == nil || string(r.Model) != "model two" {
		t.Errorf("after Put: %+v", r)
	}
	r.Model, r.Outcome = nil, state.Rejected
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get("document", "D1"); r == nil || r.Model != nil {
		t.Errorf("after a Put without a model: %+v, want no model", r)
	}
}
