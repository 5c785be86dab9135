package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

// judgeOf is how archive-sim judges a run of a mapping: with the code sets
// it loaded, taking placeholders if it is a test rehearsal.
func judgeOf(t *testing.T, file string) archive.Config {
	t.Helper()
	m, _, err := LoadWithoutSources(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	return archive.Config{Codes: m.CodeSets, Rehearsal: m.TestRehearsal}
}

// classicMapping is the first sample system's mapping.
var classicMapping = filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml")

// simulator starts archive-sim's server on a loopback port with mutual TLS,
// judging a run of the classic sample's mapping.
func simulator(t *testing.T, store string, faults archive.Faults) (*archive.Server, string, *archive.TLSFiles) {
	t.Helper()
	srv, url, files, _ := simulatorAt(t, "127.0.0.1:0", store, faults, judgeOf(t, classicMapping))
	return srv, url, files
}

// simulatorAt starts it at addr, judging with cfg, and also returns a
// function that stops it.
func simulatorAt(t *testing.T, addr, store string, faults archive.Faults, cfg archive.Config) (*archive.Server, string, *archive.TLSFiles, func()) {
	t.Helper()
	files, err := archive.EnsureTLSFiles(filepath.Join(filepath.Dir(store), "tls"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := archive.NewServer(store, faults, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs, ln, err := archive.Listen(addr, srv, files)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	var once sync.Once
	stop := func() { once.Do(func() { hs.Close(); srv.Close() }) }
	t.Cleanup(stop)
	return srv, "https://" + ln.Addr().String(), files, stop
}

func runOnce(t *testing.T, statePath, url string, files *archive.TLSFiles) (state.Store, error) {
	t.Helper()
	m, schemas, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := sink.Open("kanta:"+url, sink.Options{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey, Retry: sink.Retry{Base: 5 * time.Millisecond, Attempts: 12}})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), RunOptions{Sink: sk, Senders: 8})
	return st, err
}

// With the simulator failing, dropping and delaying requests, every document
// still arrives exactly once, in an order the simulator accepts.
func TestRunToSimulatorWithFaults(t *testing.T) {
	dir := t.TempDir()
	srv, url, files := simulator(t, filepath.Join(dir, "sim"), archive.Faults{ErrorRate: 0.15, DropRate: 0.08, Latency: time.Millisecond, Seed: 42})
	st, err := runOnce(t, filepath.Join(dir, "run.db"), url, files)
	defer st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Judge().Count(), wouldLoadTotal(t); got != want {
		t.Errorf("the simulator archived %d documents, want %d", got, want)
	}
	counts, _ := st.Counts()
	if counts["document"][state.Pending] != 0 || counts["document"][state.Loaded] == 0 {
		t.Errorf("state counts %v", counts)
	}
}

// A permanent refusal stops the run with the archive's words recorded; once
// the archive accepts again, the same run completes.
func TestArchiveRefusalStopsAndIsRecorded(t *testing.T) {
	dir := t.TempDir()
	refused := "1.2.246.10.99999991.95.1.3.40" // minted in a fixed order
	_, url, files, stop := simulatorAt(t, "127.0.0.1:0", filepath.Join(dir, "sim"), archive.Faults{RefuseOID: refused}, judgeOf(t, classicMapping))
	st, err := runOnce(t, filepath.Join(dir, "run.db"), url, files)
	var de *deliver.DeliveryError
	if !errors.As(err, &de) || !sink.IsPermanent(err) || !strings.Contains(err.Error(), "injected refusal") {
		t.Fatalf("want a permanent delivery error, got %v", err)
	}
	failures, _ := st.Failures(10)
	if len(failures) != 1 || failures[0].DocOID != refused || failures[0].Rule != "archive-rejected" || !strings.Contains(failures[0].Reason, "injected refusal") {
		t.Errorf("failures recorded: %+v", failures)
	}
	st.Close()
	// The same archive (address and store), restarted without the refusal.
	stop()
	srvAgain, urlAgain, _, _ := simulatorAt(t, strings.TrimPrefix(url, "https://"), filepath.Join(dir, "sim"), archive.Faults{}, judgeOf(t, classicMapping))
	st, err = runOnce(t, filepath.Join(dir, "run.db"), urlAgain, files)
	defer st.Close()
	if err != nil {
		t.Fatalf("resume after the refusal was lifted: %v", err)
	}
	if got, want := srvAgain.Judge().Count(), wouldLoadTotal(t); got != want {
		t.Errorf("archived %d, want %d", got, want)
	}
}

func wouldLoadTotal(t *testing.T) int {
	rep := dryRunSamples(t, Options{})
	return rep.Total.WouldLoad
}
