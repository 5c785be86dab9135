package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckBrokenMappingPrintsPosition(t *testing.T) {
	path := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, "    family_name: sukunimi", "    family_nam: sukunimi", 1)
	})
	code, _, stderr := runCLI(t, "check", "-m", path, "--sosmeta", testenv.Sosmeta())
	if code != exitMapping {
		t.Errorf("exit code %d, want %d", code, exitMapping)
	}
	if !regexp.MustCompile(`sosiaalitoimi-classic\.yaml:\d+:5: clients: unknown target field "family_nam"`).MatchString(stderr) {
		t.Errorf("stderr lacks file:line:column of the unknown field:\n%s", stderr)
	}
}

// A column the source lacks fails check (exit 3) at the field's position;
// --offline checks the file alone and passes.
func TestCheckFindsAColumnTheSourceLacks(t *testing.T) {
	path := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, "    family_name: sukunimi", "    family_name: sukunimmi", 1)
	})
	code, _, stderr := runCLI(t, "check", "-m", path, "--sosmeta", testenv.Sosmeta())
	if code != exitMapping {
		t.Errorf("exit code %d, want %d", code, exitMapping)
	}
	if !regexp.MustCompile(`sosiaalitoimi-classic\.yaml:\d+:18: clients\.family_name: source "asiakkaat" has no column "sukunimmi" \(hint: did you mean "sukunimi"\?`).MatchString(stderr) {
		t.Errorf("stderr lacks the position and suggestion:\n%s", stderr)
	}
	if code, _, stderr := runCLI(t, "check", "--offline", "-m", path, "--sosmeta", testenv.Sosmeta()); code != exitOK {
		t.Errorf("--offline: exit %d: %s", code, stderr)
	}
}

func TestDryRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	args := []string{"dry-run", "-m", testenv.SmallClassic(t, nil), "--sosmeta", testenv.Sosmeta(), "--report", filepath.Join(dir, "r.xlsx")}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "(reconciles)") {
		t.Errorf("stdout: %s", stdout)
	}
	for _, f := range []string{"r.xlsx", "r.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report %s not written: %v", f, err)
		}
	}
	code, _, _ = runCLI(t, append(args, "--fail-on-reject")...)
	if code != exitRejects {
		t.Errorf("--fail-on-reject with rejects: exit %d, want %d", code, exitRejects)
	}
	if code, _, _ := runCLI(t, "dry-run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--sosmeta", filepath.Join(dir, "none"), "--report", filepath.Join(dir, "r2.xlsx")); code != exitFailure {
		t.Errorf("a schema folder that is not there: exit %d, want %d", code, exitFailure)
	}
}

// A clients file whose lines end in a lone CR (an old Mac export) reads as
// one line, so the reader yields no client while the file holds 313: the
// dry-run says the counts do not reconcile, names the source, and exits 12.
func TestDryRunThatDoesNotReconcileExits12(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../samples/legacy/asiakkaat.csv")
	if err != nil {
		t.Fatal(err)
	}
	crOnly := filepath.Join(dir, "asiakkaat.csv")
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n", "\r")
	if err := os.WriteFile(crOnly, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	file := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, filepath.Join(testenv.Root(), "samples", "legacy", "asiakkaat.csv"), crOnly, 1)
	})
	code, stdout, stderr := runCLI(t, "dry-run", "-m", file, "--report", filepath.Join(dir, "r.xlsx"))
	if code != exitUnreconciled || !strings.Contains(stdout, `DOES NOT RECONCILE: client from source "asiakkaat": the source counts`) {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err != nil {
		t.Errorf("the report was not written: %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, stderr := runCLI(t, "frobnicate"); code != exitUsage || !strings.Contains(stderr, "unknown command") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// The production archive is chosen explicitly for a network sink, and a
// processing code outside P, D and T is a command-line error.
func TestProcessingCodeMustBeChosen(t *testing.T) {
	state := filepath.Join(t.TempDir(), "run.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sink", "kanta:https://127.0.0.1:1"}, "give --processing-code P"},
		{[]string{"--sink", "dir:" + t.TempDir(), "--processing-code", "X"}, `--processing-code "X"`},
	} {
		args := append([]string{"run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--state", state}, tc.args...)
		if code, _, stderr := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

// status and report of a state file that is not there say so, and create nothing.
func TestStatusAndReportOfAMissingStateFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.db")
	for _, cmd := range []string{"status", "report"} {
		if code, _, stderr := runCLI(t, cmd, "--state", missing); code != exitFailure || !strings.Contains(stderr, "no state file") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("%s created the state file", cmd)
		}
	}
}

// A new user's first command works from any folder with nothing set: the
// Sosmeta schemas are built in. A folder given still wins, and a wrong one
// is an error, not a silent fall back.
func TestCheckWorksWithoutSchemaFolder(t *testing.T) {
	t.Setenv("KANTAMIG_SOSMETA", "")
	mappingFile, err := filepath.Abs("../../mappings/sosiaalitoimi-classic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCLI(t, "check", "-m", mappingFile)
	if code != exitOK || !strings.Contains(stdout, ": ok (") {
		t.Fatalf("check with the built-in schemas: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "check", "-m", mappingFile, "--sosmeta", filepath.Join(t.TempDir(), "none")); code == exitOK {
		t.Errorf("a schema folder that does not exist was accepted: %s", stderr)
	}
}

// Every command's -h and --help print its synopsis, flags and an example to
// stdout and exit 0, also after a command's paths; a stray argument or an
// unknown flag is exit 2 with a line that says what to do.
func TestHelpAndWrongArgumentsOfEveryCommand(t *testing.T) {
	for _, c := range commands() {
		if c.name == "version" {
			continue
		}
		for _, h := range []string{"-h", "--help"} {
			code, stdout, _ := runCLI(t, c.name, h)
			if code != exitOK || !strings.Contains(stdout, "Usage: kantamig "+c.name) || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "Flags:") {
				t.Errorf("%s %s: exit %d\n%s", c.name, h, code, stdout)
			}
		}
		code, _, stderr := runCLI(t, c.name, "--no-such-flag")
		if code != exitUsage || !strings.Contains(stderr, "kantamig "+c.name+" -h") {
			t.Errorf("%s --no-such-flag: exit %d\n%s", c.name, code, stderr)
		}
		if usages[c.name].positional { // flags after the paths are flags
			code, _, stderr = runCLI(t, c.name, ".", "--no-such-flag")
			if code != exitUsage || !strings.Contains(stderr, "kantamig "+c.name+" -h") {
				t.Errorf("%s PATH --no-such-flag: exit %d\n%s", c.name, code, stderr)
			}
			if code, stdout, _ := runCLI(t, c.name, "no-such-path", "--help"); code != exitOK || !strings.Contains(stdout, "Usage: kantamig "+c.name) {
				t.Errorf("%s PATH --help: exit %d\n%s", c.name, code, stdout)
			}
			continue
		}
		code, _, stderr = runCLI(t, c.name, "stray")
		if code != exitUsage || !strings.Contains(stderr, `unexpected argument "stray"`) {
			t.Errorf("%s stray: exit %d\n%s", c.name, code, stderr)
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, stdout, _ := runCLI(t, args...); code != exitOK || !strings.HasPrefix(stdout, "kantamig ") {
			t.Errorf("%v: exit %d %q", args, code, stdout)
		}
	}
	if code, stdout, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(stdout, "Commands:") {
		t.Errorf("help: exit %d\n%s", code, stdout)
	}
}

// A report may be named by either of its files; the other goes beside it.
func TestReportFiles(t *testing.T) {
	for _, c := range []struct{ in, xlsx, json string }{
		{"out/r.xlsx", "out/r.xlsx", "out/r.json"},
		{"out/r.json", "out/r.xlsx", "out/r.json"},
		{"out/r", "out/r.xlsx", "out/r.json"},
	} {
		if x, j := reportFiles(c.in); x != c.xlsx || j != c.json {
			t.Errorf("reportFiles(%q) = %q, %q; want %q, %q", c.in, x, j, c.xlsx, c.json)
		}
	}
}

// A report that could not be written at the end is refused before any work
// starts (exit 2), not after an hour of staging. (A missing folder is made.)
func TestUnwritableReportIsRefusedFirst(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	missing := filepath.Join(file, "folder", "r.xlsx") // under a file: no folder can be made
	code, _, stderr := runCLI(t, "run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--state", filepath.Join(t.TempDir(), "run.db"),
		"--sink", "dir:"+t.TempDir(), "--report", missing)
	if code != exitUsage || !strings.Contains(stderr, "the report cannot be written") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// status --json gives scripts the same facts as the table, entities in the
// reports' order, with the same exit code: 10 while anything is pending,
// 12 when the records read and the rows that account for them differ.
func TestStatusJSON(t *testing.T) {
	for _, tc := range []struct {
		name       string
		docsRead   int
		code       int
		reconciles bool
	}{
		{"every record read has its row", 2, exitIncomplete, true},
		{"a record read has no row", 3, exitUnreconciled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.db")
			st, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []state.Record{
				{Entity: "document", Key: "d:1", Pass: 1, Locator: "x:1", Outcome: state.Loaded},
				{Entity: "document", Key: "d:2", Pass: 1, Locator: "x:2", Outcome: state.Pending},
				{Entity: "client", Key: "c:1", Pass: 1, Locator: "y:1", Outcome: state.Loaded},
				{Entity: "case", Key: "k:1", Pass: 1, Locator: "z:1", Outcome: state.Rejected, Rule: "case-no-client"},
			} {
				if err := st.Put(&r); err != nil {
					t.Fatal(err)
				}
			}
			blocks := []ledger.Block{{Entity: "client", Source: "c", Read: 1}, {Entity: "case", Source: "k", Read: 1}, {Entity: "document", Source: "d", Read: tc.docsRead}}
			if err := ledger.Save(st, 1, blocks); err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"complete": "no", "pass": "1"} {
				if err := st.SetSetting(k, v); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			code, stdout, stderr := runCLI(t, "status", "--json", "--state", path)
			var s ledger.Status
			if err := json.Unmarshal([]byte(stdout), &s); err != nil {
				t.Fatalf("not JSON (%v):\n%s%s", err, stdout, stderr)
			}
			var order []string
			for _, e := range s.Entities {
				order = append(order, e.Entity)
			}
			if code != tc.code || s.Complete || s.Reconciles != tc.reconciles || s.Total.Records != 4 || s.Total.Read != 2+tc.docsRead || s.Total.Pending != 1 ||
				strings.Join(order, ",") != "client,case,document" || s.FormatVersion != 2 {
				t.Errorf("exit %d, %+v", code, s)
			}
			if !tc.reconciles && (len(s.Problems) != 1 || !strings.Contains(s.Problems[0], `document from source "d": 3 record(s) read`)) {
				t.Errorf("problems %q", s.Problems)
			}
			code, stdout, _ = runCLI(t, "status", "--state", path)
			if code != tc.code || strings.Contains(stdout, "DOES NOT RECONCILE") == tc.reconciles {
				t.Errorf("text: exit %d\n%s", code, stdout)
			}
		})
	}
}

// A value the resume hint repeats survives a POSIX shell as it was.
func TestShellQuote(t *testing.T) {
	for _, v := range []string{"out/run.db", "dir:/tmp/a b", "it's", "", "kanta:https://127.0.0.1:8443", "$HOME;rm"} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("%q quoted as %s came back as %q (%v)", v, shellQuote(v), out, err)
		}
	}
}

// kantamig test runs a mapping's tests: all pass on the sample; a mapping
// broken on purpose fails with each difference, exit 3; check runs them too.
func TestMappingTestsCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "test", "-m", "../../mappings/sosiaalitoimi-classic.yaml")
	if code != exitOK || !strings.Contains(stdout, "4 passed, 0 failed") {
		t.Fatalf("the sample's tests: exit %d\n%s%s", code, stdout, stderr)
	}
	broken := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, `values: {PTA: "91", LSA: "92"`, `values: {PTA: "91", LSO: "92"`, 1)
	})
	tests, err := os.ReadFile("../../mappings/sosiaalitoimi-classic.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(strings.TrimSuffix(broken, ".yaml")+".test.yaml", tests, 0o600)
	for _, cmd := range []string{"test", "check"} {
		code, stdout, stderr = runCLI(t, cmd, "-m", broken)
		if code != exitMapping || !strings.Contains(stdout, `FAIL after the cut-off`) || !strings.Contains(stdout, "asiat:S10: want loads, got rejected (unmapped-code") {
			t.Errorf("%s of a broken mapping: exit %d\n%s%s", cmd, code, stdout, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "test", "-m", "../../mappings/sosiaalitoimi-classic-mariadb.yaml"); code != exitUsage || !strings.Contains(stderr, "has no tests") {
		t.Errorf("a mapping without tests: exit %d %s", code, stderr)
	}
}

// profile: either a mapping or files, never both; --init only from files;
// over the sample files it writes the workbook, the JSON and a skeleton.
func TestProfileCommand(t *testing.T) {
	dir := t.TempDir()
	mappingFile := filepath.Join("..", "..", "mappings", "sosiaalitoimi-classic.yaml")
	csv := filepath.Join("..", "..", "samples", "legacy", "asiakkaat.csv")
	for _, args := range [][]string{
		{"profile"},
		{"profile", "-m", mappingFile, csv},
		{"profile", "-m", mappingFile, "--init", filepath.Join(dir, "x.yaml")},
		{"profile", "--min-count", "0", csv},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
	report := filepath.Join(dir, "p.xlsx")
	code, stdout, stderr := runCLI(t, "profile", "--report", report, "--init", filepath.Join(dir, "new.yaml"), csv)
	if code != exitOK || !strings.Contains(stdout, "asiakkaat (csv): 321 records") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"p.xlsx", "p.json", "new.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if code, _, _ := runCLI(t, "profile", "--report", report, filepath.Join(dir, "missing.csv")); code != exitFailure {
		t.Errorf("a missing file: exit %d, want %d", code, exitFailure)
	}
}

// A test rehearsal's placeholder codes are one note per code set, naming
// its codes; --verbose lists each where the mapping names it.
func TestCheckNotesPlaceholdersOncePerCodeSet(t *testing.T) {
	path := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", nil)
	code, _, stderr := runCLI(t, "check", "--offline", "-m", path)
	notes := strings.Count(stderr, "note: ")
	if code != exitOK || notes != 4 || !strings.Contains(stderr, "code set case-status: 3 placeholder code(s) named (91, 92, 93)") {
		t.Errorf("exit %d, %d notes:\n%s", code, notes, stderr)
	}
	code, _, stderr = runCLI(t, "check", "--offline", "--verbose", "-m", path)
	if notes := strings.Count(stderr, "note: "); code != exitOK || notes != 12 {
		t.Errorf("--verbose: exit %d, %d notes", code, notes)
	}
}

func init() {
	// A sink of a scheme no build has, that says it reaches an archive.
	sink.Register("test-remote", sink.Scheme{Open: func(string, sink.Options) (sink.Sink, error) {
		return nil, errors.New("test-remote sinks are never opened")
	}, ReachesArchive: true})
}

// Production safety is what a sink declares, not its name: any sink that
// reaches an archive needs an explicit processing code; a package does not.
func TestASinkThatReachesAnArchiveNeedsAProcessingCode(t *testing.T) {
	for _, spec := range []string{"test-remote:somewhere", "kanta:https://127.0.0.1:1/archive"} {
		state := filepath.Join(t.TempDir(), "run.db")
		code, _, stderr := runCLI(t, "run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--state", state, "--sink", spec)
		if code != exitUsage || !strings.Contains(stderr, "--processing-code") {
			t.Errorf("%s: exit %d\n%s", spec, code, stderr)
		}
	}
	if sink.ReachesArchive("dir:/tmp/package") || sink.ReachesArchive("unknown:x") || !sink.ReachesArchive("kanta:https://x") {
		t.Error("ReachesArchive does not follow what the schemes declare")
	}
}
