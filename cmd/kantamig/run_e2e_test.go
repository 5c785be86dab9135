package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/token"
)

// These tests run the real binary as a separate process, so that it can be
// killed, and judge the archive package it leaves with the archive judge.

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// buildBinary builds kantamig once for all the tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kantamig-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "kantamig")
		if out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

type runEnv struct {
	t               *testing.T
	bin, state, pkg string
	conf            string // the test's token (SOFTHSM2_CONF)
	env             []string
	mapping         string // the classic mapping, reading sample
	sample          string // the folder under samples/: legacy-small or legacy
}

// newRunEnv gives a test a token of its own, named only in the
// environment of the processes it starts, so that such tests run in
// parallel, and the small sample (samples/legacy-small: 195 archive
// documents with every planted fault).
func newRunEnv(t *testing.T) *runEnv {
	e := newRunEnvOf(t, "legacy-small")
	e.mapping = testenv.SmallClassic(t, nil)
	return e
}

// newFullRunEnv is newRunEnv with the full sample (samples/legacy: 1,988
// archive documents), for the tests that stop a run in the middle of its
// delivery: a kill, an interrupt, a second process or a broken package
// must meet a run that is still going.
func newFullRunEnv(t *testing.T) *runEnv {
	e := newRunEnvOf(t, "legacy")
	e.mapping = "../../mappings/sosiaalitoimi-classic.yaml"
	return e
}

// editedMapping is the env's mapping with edit applied to its text.
func (e *runEnv) editedMapping(t *testing.T, edit func(string) string) string {
	t.Helper()
	if e.sample == "legacy-small" {
		return testenv.SmallClassic(t, edit)
	}
	return testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", edit)
}

func newRunEnvOf(t *testing.T, sample string) *runEnv {
	testenv.Require(t, "softhsm2-util", "apt-get install softhsm2 opensc")
	conf, err := token.SetUpTestTokenIn(t.TempDir(), cliPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &runEnv{
		t:   t,
		bin: buildBinary(t), state: filepath.Join(dir, "run.db"), pkg: filepath.Join(dir, "package"), conf: conf, sample: sample,
		env: append(os.Environ(), "SOFTHSM2_CONF="+conf, "KANTAMIG_PIN="+cliPIN, "KANTAMIG_TOKEN_LABEL=kantamig", "KANTAMIG_KEY_LABEL=org-signing",
			"KANTAMIG_SOSMETA="+testenv.Sosmeta()),
	}
}

func (e *runEnv) command(extra ...string) *exec.Cmd {
	args := append([]string{"run", "-m", e.mapping, "--state", e.state, "--sink", "dir:" + e.pkg}, extra...)
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.env
	return cmd
}

func (e *runEnv) runToEnd(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := e.command(extra...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

func manifestLines(pkg string) int {
	f, err := os.Open(filepath.Join(pkg, "manifest.jsonl"))
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n
}

// wouldLoad is how many documents the env's sample must end with in the
// archive, as its generator wrote in expected.json.
func (e *runEnv) wouldLoad(t *testing.T) int {
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", e.sample, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]json.RawMessage
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	total := 0
	for _, e := range []string{"client", "case", "document"} {
		var c struct {
			WouldLoad int `json:"would_load"`
		}
		if err := json.Unmarshal(exp[e], &c); err != nil || c.WouldLoad == 0 {
			t.Fatalf("expected.json: no would_load for %s (%v)", e, err)
		}
		total += c.WouldLoad
	}
	return total
}

// judge replays the package through a fresh archive judge: every expected
// document exactly once, in an order the archive accepts.
func (e *runEnv) judge(t *testing.T) {
	t.Helper()
	res, err := archive.JudgePackage(e.pkg, classicJudge(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	if want := e.wouldLoad(t); res.Documents != want || manifestLines(e.pkg) != want {
		t.Errorf("package has %d documents (%d manifest lines), want %d", res.Documents, manifestLines(e.pkg), want)
	}
	cmd := exec.Command(e.bin, "status", "--state", e.state)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "(reconciles)") {
		t.Errorf("status: %v\n%s", err, out)
	}
}

func TestRunResumesAfterKill9(t *testing.T) {
	t.Parallel()
	e := newFullRunEnv(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("kill points from seed %d", seed)
	for attempt := 1; attempt <= 4; attempt++ {
		cmd := e.command()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(200+rng.IntN(1800)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Kill() // SIGKILL: no chance to clean up
		cmd.Wait()
		t.Logf("attempt %d killed after %v with %d documents in the package", attempt, delay, manifestLines(e.pkg))
	}
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	e.judge(t)
	// Running again after success does nothing.
	before := manifestLines(e.pkg)
	if code, out := e.runToEnd(t); code != exitOK || !strings.Contains(out, "nothing to do") || manifestLines(e.pkg) != before {
		t.Errorf("run after success: exit %d, %d → %d lines\n%s", code, before, manifestLines(e.pkg), out)
	}
}

func TestSecondRunOnTheSameStateIsRefused(t *testing.T) {
	t.Parallel()
	e := newFullRunEnv(t)
	first := e.command()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	e.waitForDocuments(1)
	code, out := e.runToEnd(t)
	// Refused by the first lock it meets: the package's (the sink is opened
	// before the state store) or the state file's.
	if code != exitState || !strings.Contains(out, "another kantamig") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	first.Wait()
	e.judge(t)
}

func TestUnwritablePackageStopsAndResumeCompletes(t *testing.T) {
	t.Parallel()
	e := newFullRunEnv(t)
	cmd := e.command()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.waitForDocuments(100)
	// The documents folder stops being a folder: every write into it fails,
	// even for root.
	docs := filepath.Join(e.pkg, "documents")
	if err := os.Rename(docs, docs+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docs, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitDelivery || !strings.Contains(out.String(), "Run the same command again to continue") {
		t.Fatalf("want exit %d with a resume hint, got %v\n%s", exitDelivery, err, out.String())
	}
	os.Remove(docs)
	if err := os.Rename(docs+".away", docs); err != nil {
		t.Fatal(err)
	}
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	e.judge(t)
}

func TestPhasedRunIsAccepted(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	if code, out := e.runToEnd(t, "--phased"); code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	e.judge(t)
}

// Ctrl-C stops cleanly: in-flight documents settle, the state is saved, the
// message says how to resume with every flag given (the token's too, never
// the PIN), and that command, pasted into a shell, completes the run.
func TestInterruptStopsCleanlyAndSaysHowToResume(t *testing.T) {
	t.Parallel()
	e := newFullRunEnv(t)
	cmd := e.command("--token-label", "kantamig", "--key-label", "org-signing", "--workers", "2", "--senders", "4")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.waitForDocuments(50)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	const hint = "Run the same command again to continue: "
	if !ok || ee.ExitCode() != exitInterrupted || !strings.Contains(out.String(), hint) {
		t.Fatalf("want exit %d with a resume hint, got %v\n%s", exitInterrupted, err, out.String())
	}
	again := out.String()[strings.Index(out.String(), hint)+len(hint):]
	again = strings.TrimSpace(strings.SplitN(again, "\n", 2)[0])
	for _, want := range []string{"--token-label kantamig", "--key-label org-signing", "--senders 4", "--state " + e.state, "--processing-code P"} {
		if !strings.Contains(again, want) {
			t.Errorf("the resume command lacks %q: %s", want, again)
		}
	}
	if strings.Contains(out.String(), cliPIN) {
		t.Error("the PIN was printed")
	}
	resume := exec.Command("sh", "-c", strings.Replace(again, "kantamig", `"$0"`, 1), e.bin)
	resume.Env = e.env
	if b, err := resume.CombinedOutput(); err != nil {
		t.Fatalf("the resume command (%s): %v\n%s", again, err, b)
	}
	e.judge(t)
}

// Resuming with a changed mapping is refused unless asked for.
func TestChangedMappingIsRefused(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	cmd := e.command()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.waitForDocuments(20)
	cmd.Process.Kill()
	cmd.Wait()
	changed := e.editedMapping(t, func(s string) string { return s + "# changed\n" })
	run := func(extra ...string) (int, string) {
		args := append([]string{"run", "-m", changed, "--state", e.state, "--sink", "dir:" + e.pkg}, extra...)
		c := exec.Command(e.bin, args...)
		c.Env = e.env
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	if code, out := run(); code != exitState || !strings.Contains(out, "--allow-mapping-change") || strings.Contains(out, "Run the same command again") {
		t.Fatalf("changed mapping: exit %d\n%s", code, out)
	}
	if code, out := run("--allow-mapping-change"); code != exitOK {
		t.Fatalf("with --allow-mapping-change: exit %d\n%s", code, out)
	}
	e.judge(t)
}

// waitForDocuments waits (20 s at most) until the package lists n documents.
// waitForDocuments waits until the package lists n documents; a run that
// does not get that far in a minute fails the test, since what the test
// does next (kill it, break the package) would test nothing.
func (e *runEnv) waitForDocuments(n int) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for manifestLines(e.pkg) < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("the run delivered %d documents in a minute, not the %d the test waits for", manifestLines(e.pkg), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A fresh state file over a finished package is refused (it used to list
// every document again); adopting the package delivers nothing twice. A run
// killed in the middle cannot be resumed into another package.
func TestPackageBelongsToItsRunAndItsSink(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	want := manifestLines(e.pkg)

	fresh := *e
	fresh.state = filepath.Join(t.TempDir(), "other.db")
	code, out := fresh.runToEnd(t)
	if code != exitState || !strings.Contains(out, "--adopt-package") || strings.Contains(out, "Run the same command again") {
		t.Fatalf("fresh state over a finished package: exit %d\n%s", code, out)
	}
	if code, out := fresh.runToEnd(t, "--adopt-package"); code != exitOK || !strings.Contains(out, fmt.Sprintf("adopted %d documents", want)) || !strings.Contains(out, "delivered 0 documents") {
		t.Fatalf("adopting the package: exit %d\n%s", code, out)
	}
	if got := manifestLines(e.pkg); got != want {
		t.Errorf("after adoption the manifest has %d lines, want %d", got, want)
	}
	e.judge(t)

	// Killed part way into package A, resumed towards package B: refused, and A completes.
	k := newRunEnv(t)
	cmd := k.command()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k.waitForDocuments(30)
	cmd.Process.Kill()
	cmd.Wait()
	other := *k
	other.pkg = filepath.Join(t.TempDir(), "package-b")
	if code, out := other.runToEnd(t); code != exitState || !strings.Contains(out, "--sink dir:"+k.pkg) {
		t.Fatalf("resume into another package: exit %d\n%s", code, out)
	}
	if manifestLines(other.pkg) != 0 {
		t.Errorf("package B got documents")
	}
	if code, out := k.runToEnd(t); code != exitOK {
		t.Fatalf("resume into package A: exit %d\n%s", code, out)
	}
	k.judge(t)
}

// Two runs with their own state files cannot write one package at once.
func TestTwoRunsCannotWriteOnePackage(t *testing.T) {
	t.Parallel()
	e := newFullRunEnv(t)
	cmd := e.command()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	e.waitForDocuments(5)
	second := *e
	second.state = filepath.Join(t.TempDir(), "second.db")
	if code, out := second.runToEnd(t); code != exitState || !strings.Contains(out, "another kantamig run is writing the archive package") {
		t.Fatalf("second writer: exit %d\n%s", code, out)
	}
}

// A run whose report cannot be written after everything was delivered says
// so with its own exit code, and the report is written from the state file
// afterwards, with every record accounted for.
func TestReportFromTheStateWhenTheRunCouldNotWriteIt(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	blocked := filepath.Join(t.TempDir(), "report.xlsx")
	if err := os.MkdirAll(blocked, 0o700); err != nil { // a folder where the workbook should go
		t.Fatal(err)
	}
	code, out := e.runToEnd(t, "--report", blocked)
	if code != exitNoReport || !strings.Contains(out, "kantamig report --state "+e.state) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	e.judge(t)
	reportPath := filepath.Join(t.TempDir(), "later.xlsx")
	cmd := exec.Command(e.bin, "report", "--state", e.state, "--report", reportPath)
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	data, err := os.ReadFile(strings.TrimSuffix(reportPath, ".xlsx") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Total struct {
			Extracted, Rejected, Skipped int
		}
		Delivered int `json:"documents_delivered"`
		Rejects   []struct{ Rule, Locator string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if want := e.wouldLoad(t); rep.Delivered != want || rep.Total.Extracted != want+rep.Total.Rejected+rep.Total.Skipped || len(rep.Rejects) != rep.Total.Rejected || rep.Total.Rejected == 0 {
		t.Errorf("report from the state: %+v, want %d delivered", rep.Total, want)
	}
	for _, r := range rep.Rejects {
		if r.Rule == "" || r.Locator == "" {
			t.Errorf("reject without rule or locator: %+v", r)
		}
	}
	if _, err := os.Stat(reportPath); err != nil {
		t.Error(err)
	}
}

// verify of a whole package passes on what a run delivered and fails on a
// package with a missing, a doubled or an out-of-order document.
func TestVerifyPackage(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	if code, out := e.runToEnd(t); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	verify := func(pkg string) (int, string) {
		cmd := exec.Command(e.bin, "verify", pkg)
		cmd.Env = e.env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	if code, out := verify(e.pkg); code != exitOK || !strings.Contains(out, fmt.Sprintf("%d document(s) accepted in order", e.wouldLoad(t))) {
		t.Fatalf("the delivered package: exit %d\n%s", code, out)
	}
	// The folder the package is in (as out/ after make demo): the package is
	// found and checked as one; its frames are never taken for documents.
	if code, out := verify(filepath.Dir(e.pkg)); code != exitOK || !strings.Contains(out, fmt.Sprintf("package %s: %d document(s) accepted in order", e.pkg, e.wouldLoad(t))) ||
		strings.Contains(out, "FAIL") {
		t.Fatalf("the folder holding the package: exit %d\n%s", code, out[:min(len(out), 2000)])
	}
	manifest, err := os.ReadFile(filepath.Join(e.pkg, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(manifest), "\n")
	var first struct{ Document string }
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		breakIt    func(pkg string)
	}{
		{"missing document", "no such file", func(pkg string) { os.Remove(filepath.Join(pkg, first.Document)) }},
		{"doubled document", "already listed", func(pkg string) {
			os.WriteFile(filepath.Join(pkg, "manifest.jsonl"), []byte(string(manifest)+lines[5]), 0o600)
		}},
		{"out of order", "arrived before its client relationship", func(pkg string) {
			// The first client document, moved to the top: before its relationship and its case.
			for i, l := range lines {
				if strings.Contains(l, `"kind":"client-document"`) {
					moved := l + strings.Join(lines[:i], "") + strings.Join(lines[i+1:], "")
					os.WriteFile(filepath.Join(pkg, "manifest.jsonl"), []byte(moved), 0o600)
					return
				}
			}
			t.Fatal("no client document in the manifest")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := filepath.Join(t.TempDir(), "package")
			if out, err := exec.Command("cp", "-a", e.pkg, pkg).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			tc.breakIt(pkg)
			if code, out := verify(pkg); code != exitVerify || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want %d and %q in\n%s", code, exitVerify, tc.want, lastLines(out, 5))
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// After a refusal that sending again cannot change, the run delivers the
// rest, status lists the refusal with the archive's words, and the message
// says what to change and gives the command to continue with afterwards,
// not "run the same command again".
func TestArchiveRefusalSaysWhatToChange(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	refused := "1.2.246.10.99999991.95.1.3.20" // minted in a fixed order (as pipeline's refusal test)
	_, addr, files := startSim(t, archive.Faults{RefuseOID: refused}, nil)
	cmd := exec.Command(e.bin, "run", "-m", e.mapping, "--state", e.state,
		"--sink", "kanta:https://"+addr, "--processing-code", "T",
		"--tls-ca", files.CA, "--tls-cert", files.ClientCert, "--tls-key", files.ClientKey)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitDelivery {
		t.Fatalf("want exit %d, got %v\n%s", exitDelivery, err, lastLines(string(out), 5))
	}
	text := string(out)
	for _, want := range []string{"refused: ", "injected refusal", "the archive refused 1 document(s)", "everything else was delivered", "--restage", "--tls-cert " + files.ClientCert, "--processing-code T"} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q:\n%s", want, lastLines(text, 5))
		}
	}
	t.Log(lastLines(text, 4))
	if strings.Contains(text, "Run the same command again") {
		t.Errorf("the message tells to repeat what cannot help:\n%s", lastLines(text, 5))
	}
}

// A run whose staging rejects more than the mapping's error budget allows
// stops before it signs or delivers anything (exit 4), names what used the
// budget and writes its report; the dry-run says so beforehand. Within the
// budget, the same run completes.
func TestErrorBudgetStopsARunBeforeDelivery(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	// The small sample rejects 7 of its 49 client records (14%).
	tight := e.editedMapping(t, func(s string) string {
		return strings.Replace(s, "test_rehearsal: true\n", "test_rehearsal: true\nerror_budget:\n  rejected: {client: 1%, document: 100}\n", 1)
	})
	report := filepath.Join(t.TempDir(), "run.xlsx")
	cmd := exec.Command(e.bin, "run", "-m", tight, "--state", e.state, "--sink", "dir:"+e.pkg, "--report", report)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitRejects {
		t.Fatalf("want exit %d, got %v\n%s", exitRejects, err, lastLines(string(out), 5))
	}
	for _, want := range []string{"nothing was delivered", "client: 7 of 49 rejected, over the budget of 1%", "hetu-check (1)", "Rejects sheet of " + report} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the message lacks %q:\n%s", want, lastLines(string(out), 5))
		}
	}
	if n := manifestLines(e.pkg); n != 0 {
		t.Errorf("%d documents delivered over the budget", n)
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("no report: %v", err)
	}
	dry := exec.Command(e.bin, "dry-run", "-m", tight, "--report", filepath.Join(t.TempDir(), "d.xlsx"))
	dry.Env = e.env
	stdout, err := dry.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitRejects || !strings.Contains(string(stdout), "error budget: USED UP") {
		t.Errorf("dry-run over the budget: %v\n%s", err, stdout)
	}
	loose := e.editedMapping(t, func(s string) string {
		return strings.Replace(s, "test_rehearsal: true\n", "test_rehearsal: true\nerror_budget:\n  rejected: {client: 15%}\n", 1)
	})
	cmd = exec.Command(e.bin, "run", "-m", loose, "--state", e.state, "--sink", "dir:"+e.pkg, "--allow-mapping-change", "--report", report)
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("within the budget: %v\n%s", err, lastLines(string(out), 5))
	}
	e.judge(t)
}

// startSim serves an archive simulator on loopback for a test, its handler
// wrapped by wrap when given, and returns it, its address and the TLS files
// a client needs.
func startSim(t *testing.T, faults archive.Faults, wrap func(http.Handler) http.Handler) (*archive.Server, string, *archive.TLSFiles) {
	t.Helper()
	dir := t.TempDir()
	files, err := archive.EnsureTLSFiles(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := archive.NewServer(filepath.Join(dir, "sim"), faults, classicJudge(t))
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs, ln, err := archive.Listen("127.0.0.1:0", h, files)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, ln.Addr().String(), files
}

// classicJudge is how the archive judges a run of the classic sample: the
// code sets its mapping loads, a test rehearsal.
func classicJudge(t *testing.T) archive.Config {
	t.Helper()
	jf := judgeFlags{mapping: "../../mappings/sosiaalitoimi-classic.yaml", sosmeta: testenv.Sosmeta()}
	cfg, err := jf.config(false)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
