package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/state/postgres"
	"github.com/kantamig/kantamig/load/state/postgres/pgtest"
)

// manifestEntry is one line of a package's manifest.jsonl.
type manifestEntry struct {
	OID      string `json:"oid"`
	Kind     string `json:"kind"`
	Document string `json:"document"`
	Frame    string `json:"frame"`
}

func readManifest(t *testing.T, pkg string) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(pkg, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []manifestEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e manifestEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		out = append(out, e)
	}
	return out
}

var (
	signatures = regexp.MustCompile(`(?s)<signatureCollection.*?</signatureCollection>\n?`)
	frameTimes = regexp.MustCompile(`<creationTime value="[^"]*"/>`)
)

// Four workers of one sharded run, sharing a PostgreSQL store, one of them
// killed with kill -9 while delivering and started again, end with the
// packages a single process makes of the same sources: every document, by
// OID and by bytes (but for signatures and frame times), once in all; each
// shard's package is accepted in order by the archive judge on its own, so
// the family case went with both its clients; and status over the shards
// reconciles and says complete.
func TestFourShardsMatchOneProcess(t *testing.T) {
	testenv.Require(t, "psql", "apt-get install postgresql")
	if !pgtest.Available() {
		if testenv.ToolsRequired() {
			t.Fatal("PostgreSQL is required (apt-get install postgresql)")
		}
		t.Skip("PostgreSQL not installed")
	}
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	e := newRunEnv(t)
	dir := t.TempDir()

	// One process, the reference.
	single := filepath.Join(dir, "single")
	e.pkg = single
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("single run: exit %d\n%s", code, out)
	}

	env := append(e.env, "KANTAMIG_STATE_DSN="+srv.DSN+"?search_path=proof")
	const n = 4
	shardCmd := func(i int) *exec.Cmd {
		cmd := exec.Command(e.bin, "run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--state", "postgres:",
			"--sink", "dir:"+filepath.Join(dir, fmt.Sprintf("shard-%d", i)), "--shard", fmt.Sprintf("%d/%d", i, n),
			"--report", filepath.Join(dir, fmt.Sprintf("shard-%d-report.xlsx", i)))
		cmd.Env = env
		return cmd
	}
	outs := make([]*bytes.Buffer, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i], outs[i] = shardCmd(i), &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	// Kill shard 1 once it has delivered something, and start it again.
	victim := filepath.Join(dir, "shard-1")
	deadline := time.Now().Add(2 * time.Minute)
	for manifestLines(victim) < 20 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cmds[1].Process.Kill()
	cmds[1].Wait()
	killedAt := manifestLines(victim)
	t.Logf("shard 1 killed with %d documents in its package", killedAt)
	restarted := shardCmd(1)
	var restartOut bytes.Buffer
	restarted.Stdout, restarted.Stderr = &restartOut, &restartOut
	if err := restarted.Run(); err != nil {
		t.Fatalf("shard 1 after kill -9: %v\n%s", err, restartOut.String())
	}
	for i, cmd := range cmds {
		if i == 1 {
			continue
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i])
		}
	}

	want := readManifest(t, single)
	seen := map[string]string{} // OID → shard package
	for i := 0; i < n; i++ {
		pkg := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		res, err := archive.JudgePackage(pkg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Problems {
			t.Errorf("shard %d: %s", i, p)
		}
		entries := readManifest(t, pkg)
		if len(entries) == 0 {
			t.Errorf("shard %d delivered nothing", i)
		}
		for _, en := range entries {
			if was, dup := seen[en.OID]; dup {
				t.Errorf("%s is in %s and in shard %d", en.OID, was, i)
			}
			seen[en.OID] = pkg
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the shards delivered %d documents, one process %d", len(seen), len(want))
	}
	byOID := map[string]manifestEntry{}
	for i := 0; i < n; i++ {
		for _, en := range readManifest(t, filepath.Join(dir, fmt.Sprintf("shard-%d", i))) {
			byOID[en.OID] = en
		}
	}
	for _, w := range want {
		got, ok := byOID[w.OID]
		if !ok {
			t.Errorf("%s (%s) is in no shard's package", w.OID, w.Kind)
			continue
		}
		for _, f := range []struct{ a, b string }{{w.Document, got.Document}, {w.Frame, got.Frame}} {
			a, errA := os.ReadFile(filepath.Join(single, f.a))
			b, errB := os.ReadFile(filepath.Join(seen[w.OID], f.b))
			if errA != nil || errB != nil {
				t.Fatalf("%s: %v %v", w.OID, errA, errB)
			}
			clean := func(x []byte) []byte { return frameTimes.ReplaceAll(signatures.ReplaceAll(x, nil), nil) }
			if !bytes.Equal(clean(a), clean(b)) {
				t.Errorf("%s (%s): %s differs between the single run and the shards", w.OID, w.Kind, f.a)
			}
		}
	}

	// The family case's clients ended in one shard (their keys hash to
	// shards 3 and 2 of 4: staging moved one to the other's).
	st, err := postgres.OpenShared("KANTAMIG_STATE_DSN_PROOF")
	if err == nil {
		t.Fatal("a location without its variable opened")
	}
	t.Setenv("KANTAMIG_STATE_DSN_PROOF", srv.DSN+"?search_path=proof")
	st, err = postgres.OpenShared("KANTAMIG_STATE_DSN_PROOF")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, errA := st.Get("client", "asiakkaat:A000041")
	b, errB := st.Get("client", "asiakkaat:A000042")
	if errA != nil || errB != nil || a == nil || b == nil || a.Shard != b.Shard {
		t.Errorf("the clients of the family case: %+v, %+v (%v %v); want one shard", a, b, errA, errB)
	}

	status := exec.Command(e.bin, "status", "--state", "postgres:")
	status.Env = env
	out, err := status.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "(reconciles)") || !strings.Contains(string(out), "complete\n") || strings.Contains(string(out), "not complete") {
		t.Errorf("status across the shards: %v\n%s", err, out)
	}
	for i := 0; i < n; i++ {
		if !strings.Contains(string(out), fmt.Sprintf("shard %d/%d:", i, n)) {
			t.Errorf("status does not show shard %d:\n%s", i, out)
		}
	}
	if strings.Contains(string(out), "kantamig-test-pg") {
		t.Error("status shows the store's password")
	}
}
