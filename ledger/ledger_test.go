package ledger

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

func openStore(t *testing.T) state.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func put(t *testing.T, st state.Store, rows ...state.Record) {
	t.Helper()
	for _, r := range rows {
		if err := st.Put(&r); err != nil {
			t.Fatal(err)
		}
	}
}

// Two blocks of one entity and source add up; a pass without a count is
// said to have none, not taken as reconciling.
func TestTallyAndStatus(t *testing.T) {
	st := openStore(t)
	put(t, st,
		state.Record{Entity: "client", Key: "a:1", Pass: 1, Outcome: state.Loaded},   // an earlier pass only
		state.Record{Entity: "client", Key: "a:2", Pass: 2, Outcome: state.Pending},  // this pass
		state.Record{Entity: "client", Key: "a:3", Pass: 2, Outcome: state.Rejected}, // this pass
		state.Record{Entity: "case", Key: "generated:x|10", Pass: 2, Outcome: state.Pending},
	)
	if err := st.SetSetting("pass", "2"); err != nil {
		t.Fatal(err)
	}
	s, err := ReadStatus(st, "run.db")
	if err != nil || s.Reconciles || len(s.Problems) == 0 || !strings.Contains(s.Problems[0], "no count of the records read in pass 2") {
		t.Fatalf("without a count: %v %+v", err, s)
	}
	tally := NewTally(st, 2)
	one := 1
	if err := tally.Read(Block{Entity: "client", Source: "a", Read: 1, SourceCount: &one, CountedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := tally.Read(Block{Entity: "client", Source: "a", Read: 1, SourceCount: &one, CountedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	blocks, ok, err := Blocks(st, 2)
	if err != nil || !ok || len(blocks) != 1 || blocks[0].Read != 2 || *blocks[0].SourceCount != 2 {
		t.Fatalf("blocks %+v %v %v", blocks, ok, err)
	}
	s, err = ReadStatus(st, "run.db")
	if err != nil || !s.Reconciles || s.Total.Read != 2 || s.Total.Records != 3 || s.Earlier.Records != 1 || s.Earlier.Loaded != 1 {
		t.Fatalf("with the count: %v %+v", err, s)
	}
	if err := Check(st, 2); err != nil {
		t.Errorf("check: %v", err)
	}
	put(t, st, state.Record{Entity: "client", Key: "b:1", Pass: 2, Outcome: state.Pending}) // a row no source read
	if err := Check(st, 2); !IsUnreconciled(err) || !strings.Contains(err.Error(), `client from source "b": 0 record(s) read, but the state store accounts for 1`) {
		t.Errorf("a row of no source: %v", err)
	}
}
