package pipeline

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

// recordingProgress keeps each phase's total and count.
type recordingProgress struct {
	mu     sync.Mutex
	phases []string
	totals map[string]int64
	counts map[string]int64
	phase  string
}

func (p *recordingProgress) Start(phase string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.totals == nil {
		p.totals, p.counts = map[string]int64{}, map[string]int64{}
	}
	p.phase = phase
	p.phases = append(p.phases, phase)
	p.totals[phase], p.counts[phase] = total, 0
}
func (p *recordingProgress) Add(n int64) { p.mu.Lock(); p.counts[p.phase] += n; p.mu.Unlock() }
func (p *recordingProgress) Finish()     {}

// The progress of a staging counts against the records a finished pass
// staged, or against nothing (unknown); not against the rows a killed
// staging left, which ran out long before the staging did.
func TestStagingProgressTotalsAfterAKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := tempMapping(t, nil)
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// What a staging killed after its first record leaves: one row, no
	// pass staged to the end.
	if err := st.Put(&state.Record{Entity: "client", Key: "asiakkaat:1", Pass: 0, Locator: "clients.csv:2", Outcome: state.Skipped, Rule: "x"}); err != nil {
		t.Fatal(err)
	}
	run := func(restage bool) *recordingProgress {
		sk, err := sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sk.Close()
		if !restage { // the first start stops at its first client document, unfinished
			sk = refuseDocuments{sk}
		}
		r, err := Prepare(m, schemas, Options{Store: st, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := &recordingProgress{}
		if _, err := r.Run(context.Background(), RunOptions{Sink: sk, ProcessingCode: "T", Progress: p, Restage: restage, RetryRefused: restage}); (err != nil) != !restage {
			t.Fatalf("restage %v: %v", restage, err)
		}
		return p
	}
	p := run(false)
	if p.totals["staging"] != 0 {
		t.Errorf("after a killed staging, the staging total is %d, want 0 (unknown)", p.totals["staging"])
	}
	rows, err := total(st, "")
	if err != nil {
		t.Fatal(err)
	}
	p = run(true)
	if p.totals["staging"] != rows || p.counts["staging"] != rows {
		t.Errorf("restaging: total %d, counted %d, want both %d (the rows of the finished pass)", p.totals["staging"], p.counts["staging"], rows)
	}
}
