package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
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
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/postgres"
	"github.com/kantamig/kantamig/state/postgres/pgtest"
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
	frameTimes = regexp.MustCompile(`<creationTime value="[^"]*"/>|(?s)<text mediaType="multipart/related">.*?</text>`) // the signed document inside, compared as a document
)

// Four workers of one sharded run, sharing a PostgreSQL store and sending
// to one archive simulator, staging their shards' documents side by side,
// one of them killed with kill -9 while staging and one while delivering,
// each started again, end with what a single process makes of the same
// sources: every record with the same outcome, rule and reason; every
// document, by bytes (but for signatures, frame times and the numbers of
// the identifiers, which the shards mint in another order), archived once; the simulator's judge, which
// sees every shard's deliveries, accepted every one in order (so the family
// case went after both its clients' relationships, though the two hash to
// different shards); and status over the shards reconciles and says
// complete.
func TestFourShardsMatchOneProcess(t *testing.T) {
	t.Parallel()
	if !pgtest.Available() {
		if testenv.ToolsRequired() {
			t.Fatal("PostgreSQL is required (apt-get install postgresql)")
		}
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	e := newFullRunEnv(t)
	dir := t.TempDir()

	// One process, the reference, into a package.
	single := filepath.Join(dir, "single")
	e.pkg = single
	if code, out := e.runToEnd(t, "--processing-code", "T"); code != exitOK {
		t.Fatalf("single run: exit %d\n%s", code, out)
	}

	// One simulator for all the shards.
	files, err := archive.EnsureTLSFiles(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := archive.NewServer(filepath.Join(dir, "sim"), archive.Faults{}, classicJudge(t))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	hs, ln, err := archive.Listen("127.0.0.1:0", sim, files)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()

	env := append(e.env, "KANTAMIG_STATE_DSN="+pg.DSN+"?search_path=proof")
	const n = 4
	// Each worker has a token of its own, the same key in a copy of the
	// token's files, as each machine of a sharded run reaches the HSM on its
	// own: SoftHSM2's file store is not made for several processes writing
	// one token at once (it fails now and then with CKR_GENERAL_ERROR).
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = copyToken(t, e.conf, filepath.Join(dir, fmt.Sprintf("token-%d", i)))
	}
	shardCmd := func(i int) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(e.bin, "run", "-m", e.mapping, "--state", "postgres:",
			"--sink", "kanta:https://"+ln.Addr().String(), "--processing-code", "T",
			"--tls-ca", files.CA, "--tls-cert", files.ClientCert, "--tls-key", files.ClientKey,
			"--shard", fmt.Sprintf("%d/%d", i, n), "--report", filepath.Join(dir, fmt.Sprintf("shard-%d-report.xlsx", i)))
		cmd.Env = append(env, "SOFTHSM2_CONF="+tokens[i])
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}
	// A variable of this test's own (t.Setenv cannot run beside parallel tests).
	os.Setenv("KANTAMIG_STATE_DSN_PROOF", pg.DSN+"?search_path=proof")
	t.Cleanup(func() { os.Unsetenv("KANTAMIG_STATE_DSN_PROOF") })
	st, err := postgres.OpenShared("KANTAMIG_STATE_DSN_PROOF")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		cmds[i], outs[i] = shardCmd(i)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	// Kill shard 2 once the census is done (so that it stages its shard,
	// or is about to), and start it again.
	deadline := time.Now().Add(2 * time.Minute)
	firstPhaseDone := func() bool {
		v, err := st.Setting("staged_mapping")
		return err == nil && v != ""
	}
	for !firstPhaseDone() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cmds[2].Process.Kill()
	cmds[2].Wait()
	counts, _ := st.ShardCounts(2)
	t.Logf("shard 2 killed after the census, with %v documents of its staged:\n%s", counts["document"], outs[2])
	if staged, _ := st.Setting("staged/2"); staged != "" {
		t.Errorf("shard 2 was killed after it had staged its documents")
	}
	cmds[2], outs[2] = shardCmd(2)
	if err := cmds[2].Start(); err != nil {
		t.Fatal(err)
	}

	// Kill shard 1 once the archive has 200 documents, and start it again.
	for sim.Judge().Count() < 200 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cmds[1].Process.Kill()
	cmds[1].Wait()
	t.Logf("shard 1 killed with %d documents in the archive:\n%s", sim.Judge().Count(), outs[1])
	restarted, restartOut := shardCmd(1)
	if err := restarted.Run(); err != nil {
		t.Fatalf("shard 1 after kill -9: %v\n%s", err, restartOut)
	}
	for i, cmd := range cmds {
		if i == 1 {
			continue
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i])
		}
	}

	// The shards minted their identifiers in another order than one process:
	// the same record's are matched through the two stores.
	one, err := state.OpenReadOnly(e.state)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	singleRows, shardRows := storeRows(t, one), storeRows(t, st)
	toSingle, toShard := map[string]string{}, map[string]string{}
	for id, a := range singleRows {
		b, ok := shardRows[id]
		if !ok {
			t.Errorf("%s %q: staged by one process, not by the shards", id[0], id[1])
			continue
		}
		if a.Outcome != b.Outcome || a.Field != b.Field || a.Rule != b.Rule || a.Reason != b.Reason || a.Locator != b.Locator {
			t.Errorf("%s %q: one process %s %s %q, the shards %s %s %q", id[0], id[1], a.Outcome, a.Rule, a.Reason, b.Outcome, b.Rule, b.Reason)
		}
		for _, pair := range [][2]string{{a.EntityOID, b.EntityOID}, {a.DocOID, b.DocOID}} {
			if pair[0] != "" && pair[1] != "" {
				toSingle[pair[1]], toShard[pair[0]] = pair[0], pair[1]
			}
		}
	}
	for id := range shardRows {
		if _, ok := singleRows[id]; !ok {
			t.Errorf("%s %q: staged by the shards, not by one process", id[0], id[1])
		}
	}
	oids := regexp.MustCompile(`1\.2\.246\.10\.99999991\.95\.1\.[0-9]+\.[0-9]+`)
	// A frame's message id (kind 4) is numbered as its document (kind 3).
	ids := regexp.MustCompile(`root="1\.2\.246\.10\.99999991\.95\.1\.([0-9]+)" extension="([0-9]+)"`)
	const root = "1.2.246.10.99999991.95.1."
	rename := func(x []byte) []byte {
		x = oids.ReplaceAllFunc(x, func(oid []byte) []byte {
			if s, ok := toSingle[string(oid)]; ok {
				return []byte(s)
			}
			return oid
		})
		return ids.ReplaceAllFunc(x, func(id []byte) []byte {
			m := ids.FindSubmatch(id)
			kind := string(m[1])
			if kind == "4" {
				kind = "3"
			}
			s, ok := toSingle[root+kind+"."+string(m[2])]
			if !ok {
				return id
			}
			return []byte(fmt.Sprintf(`root="%s%s" extension="%s"`, root, m[1], s[strings.LastIndexByte(s, '.')+1:]))
		})
	}

	want := readManifest(t, single)
	if got := sim.Judge().Count(); got != len(want) {
		t.Errorf("the simulator archived %d documents, one process %d", got, len(want))
	}
	// The display form is held in Base64: compared decoded, so that the
	// identifiers in it are matched too.
	b64 := regexp.MustCompile(`(representation="B64">)([^<]*)`)
	clean := func(x []byte) []byte {
		x = frameTimes.ReplaceAll(signatures.ReplaceAll(x, nil), nil)
		return b64.ReplaceAllFunc(x, func(m []byte) []byte {
			parts := b64.FindSubmatch(m)
			text, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(parts[2])), ""))
			if err != nil {
				return m
			}
			return append(append([]byte{}, parts[1]...), text...)
		})
	}
	for _, w := range want {
		oid := toShard[w.OID]
		for _, f := range []struct{ single, sim string }{{w.Document, oid + ".xml"}, {w.Frame, oid + ".frame.xml"}} {
			a, errA := os.ReadFile(filepath.Join(single, f.single))
			b, errB := os.ReadFile(filepath.Join(dir, "sim", "documents", f.sim))
			if errB != nil {
				t.Errorf("%s (%s) is not in the archive: %v", w.OID, w.Kind, errB)
				break
			}
			if errA != nil {
				t.Fatal(errA)
			}
			if !bytes.Equal(clean(a), rename(clean(b))) {
				t.Errorf("%s (%s): %s differs between the single run and the shards", w.OID, w.Kind, f.sim)
			}
		}
	}
	accepted, err := os.ReadFile(filepath.Join(dir, "sim", "accepted.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(accepted, []byte("\n")); lines != len(want) {
		t.Errorf("%d documents accepted, want each of %d once", lines, len(want))
	}

	// The family case's clients ended in one shard (their keys hash to
	// shards 3 and 2 of 4: staging moved one to the other's).
	a, errA := st.Get("client", "asiakkaat:A000041")
	b, errB := st.Get("client", "asiakkaat:A000042")
	if errA != nil || errB != nil || a == nil || b == nil || a.Shard != b.Shard {
		t.Errorf("the clients of the family case: %+v, %+v (%v %v); want one shard", a, b, errA, errB)
	}

	// The census was staging's: the complete run gave it back.
	for i := 0; i < n; i++ {
		if rows, err := st.CensusShard(i, 0, 1); err != nil || len(rows) != 0 {
			t.Errorf("the census of shard %d after the run: %v %v", i, rows, err)
		}
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

// copyToken copies the files of the token conf configures into dir and
// returns the configuration file of the copy.
func copyToken(t *testing.T, conf, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(filepath.Dir(conf), "tokens"), filepath.Join(dir, "tokens")).CombinedOutput(); err != nil {
		t.Fatalf("copying the token: %v %s", err, out)
	}
	copyConf := filepath.Join(dir, "softhsm2.conf")
	text := "directories.tokendir = " + filepath.Join(dir, "tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(copyConf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return copyConf
}

// storeRows reads every record of a store, with its identifiers.
func storeRows(t *testing.T, st state.Store) map[[2]string]state.Record {
	t.Helper()
	var ids [][2]string
	if err := st.Outcomes(func(r state.Record) error {
		ids = append(ids, [2]string{r.Entity, r.Key})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := make(map[[2]string]state.Record, len(ids))
	for _, id := range ids {
		r, err := st.Get(id[0], id[1])
		if err != nil || r == nil {
			t.Fatalf("%s %q: %v", id[0], id[1], err)
		}
		out[id] = *r
	}
	return out
}
