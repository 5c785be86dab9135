package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
