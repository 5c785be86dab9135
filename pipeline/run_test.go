package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
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

// classicMapping is the first sample system's mapping (its judge is the
// same for the full sample and the small one).
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
	return runOnceWith(t, statePath, url, files, RunOptions{})
}

// runOnceWith is runOnce with options (the sink and senders are set here).
func runOnceWith(t *testing.T, statePath, url string, files *archive.TLSFiles, ro RunOptions) (state.Store, error) {
	t.Helper()
	m, schemas, err := Load(testenv.SmallClassic(t, nil), testenv.Sosmeta())
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
	ro.Sink, ro.Senders = sk, 8
	_, err = r.Run(context.Background(), ro)
	return st, err
}

// With the simulator failing, dropping and delaying requests, every document
// still arrives exactly once, in an order the simulator accepts.
func TestRunToSimulatorWithFaults(t *testing.T) {
	t.Parallel()
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

// Three documents the archive refuses for good do not stop the run: each
// is recorded with the archive's words, what depends on it waits (held
// back), and everything else is archived, in order. Once the archive
// accepts them, the same run with --retry-refused completes. (One refusal
// used to stop the whole run.)
func TestArchiveRefusalsAreRecordedAndTheRunGoesOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	refused := []string{"1.2.246.10.99999991.95.1.3.20", "1.2.246.10.99999991.95.1.3.90", "1.2.246.10.99999991.95.1.3.170"} // minted in a fixed order
	srv, url, files, stop := simulatorAt(t, "127.0.0.1:0", filepath.Join(dir, "sim"), archive.Faults{RefuseOID: strings.Join(refused, ",")}, judgeOf(t, classicMapping))
	st, err := runOnce(t, filepath.Join(dir, "run.db"), url, files)
	var re *ErrRefused
	if !errors.As(err, &re) || re.Refused != 3 || re.NewlyRefused != 3 {
		t.Fatalf("want three refusals, got %v", err)
	}
	failures, _ := st.Failures(1000)
	var got []string
	held := 0
	for _, f := range failures {
		switch f.Rule {
		case "archive-rejected":
			if !strings.Contains(f.Reason, "injected refusal") || f.Outcome != "pending" {
				t.Errorf("a refusal recorded as %+v", f)
			}
			got = append(got, f.DocOID)
		case "held-back":
			held++
		}
	}
	slices.Sort(got)
	want := slices.Clone(refused)
	slices.Sort(want)
	if !slices.Equal(got, want) || held != re.HeldBack {
		t.Errorf("recorded refusals %v (want %v), %d held back (the run said %d)", got, want, held, re.HeldBack)
	}
	total := wouldLoadTotal(t)
	if archived := srv.Judge().Count(); archived != total-3-held {
		t.Errorf("archived %d of %d, want all but the 3 refused and the %d held back", archived, total, held)
	}
	t.Logf("first start: %d refused, %d held back, %d archived of %d", re.Refused, held, srv.Judge().Count(), total)
	st.Close()
	// Without --retry-refused, a second start sends nothing again.
	st, err = runOnce(t, filepath.Join(dir, "run.db"), url, files)
	if !errors.As(err, &re) || re.Refused != 3 || re.NewlyRefused != 0 || srv.Judge().Count() != total-3-held {
		t.Fatalf("a second start: %v, archived %d (want %d)", err, srv.Judge().Count(), total-3-held)
	}
	st.Close()
	// The same archive (address and store), restarted without the refusals.
	stop()
	srvAgain, urlAgain, _, _ := simulatorAt(t, strings.TrimPrefix(url, "https://"), filepath.Join(dir, "sim"), archive.Faults{}, judgeOf(t, classicMapping))
	st, err = runOnceWith(t, filepath.Join(dir, "run.db"), urlAgain, files, RunOptions{RetryRefused: true})
	defer st.Close()
	if err != nil {
		t.Fatalf("resume with --retry-refused once the archive accepts them: %v", err)
	}
	if got, want := srvAgain.Judge().Count(), wouldLoadTotal(t); got != want {
		t.Errorf("archived %d, want %d", got, want)
	}
}

// wouldLoadTotal is how many archive documents the small sample must give,
// as its generator wrote in expected.json.
func wouldLoadTotal(t *testing.T) int {
	exp := readExpected(t, "legacy-small")
	return exp.Client.WouldLoad + exp.Case.WouldLoad + exp.Document.WouldLoad
}
