// Package testenv holds what the project's tests share about their
// surroundings, in one place: whether a real tool (xmlsec1, softhsm2,
// MariaDB, ...) may be missing, where the shared reference folder is, and
// temporary copies of mappings, so that no test writes into the source tree.
//
// A test that needs a real tool calls Require: without the tool the test is
// skipped, unless KANTAMIG_REQUIRE_TOOLS is set (CI sets it), in which case
// a missing tool fails the test, so that CI never passes by skipping.
package testenv

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ToolsRequired reports whether missing tools fail tests instead of
// skipping them (KANTAMIG_REQUIRE_TOOLS is set).
func ToolsRequired() bool { return os.Getenv("KANTAMIG_REQUIRE_TOOLS") != "" }

// Require returns the path of a program on PATH; without it, the test is
// skipped, or fails when tools are required. install says how to get it.
func Require(t testing.TB, program, install string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	Missing(t, program+" ("+install+")")
	return ""
}

// AllowedSkips are the tests allowed to skip even where every tool is
// required: what cannot run on this project's machines. Each skip is
// written to the file KANTAMIG_SKIP_LOG names (make test prints it at the
// end), so that a test that did not run is seen.
var AllowedSkips = map[string]string{
	"TestMSSQLIntegration":    "SQL Server cannot run here: set KANTAMIG_MSSQL_DSN=sqlserver://user:password@host:1433?database=db to run it",
	"TestJudgePackageFromEnv": "a tool to judge a package by hand: set KANTAMIG_TEST_PACKAGE (the end-to-end tests judge theirs)",
}

// Optional skips one of AllowedSkips, saying so in the skip log; any other
// test calling it fails: a skip must be on the list.
func Optional(t testing.TB) {
	t.Helper()
	why, ok := AllowedSkips[strings.SplitN(t.Name(), "/", 2)[0]]
	if !ok {
		t.Fatalf("%s is not in testenv.AllowedSkips: only the tests listed there may skip", t.Name())
		return
	}
	if log := os.Getenv("KANTAMIG_SKIP_LOG"); log != "" {
		if f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			f.WriteString(t.Name() + ": " + why + "\n")
			f.Close()
		}
	}
	t.Skip(why)
}

// Missing skips the test for a missing tool, or fails it when tools are
// required.
func Missing(t testing.TB, what string) {
	t.Helper()
	if ToolsRequired() {
		t.Fatalf("%s is required (KANTAMIG_REQUIRE_TOOLS is set)", what)
	}
	t.Skipf("%s is not here; skipping", what)
}

// Root is the repository's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Shared is the shared folder beside the repository (../shared from its
// root), or $KANTAMIG_SHARED.
func Shared() string {
	if d := os.Getenv("KANTAMIG_SHARED"); d != "" {
		return d
	}
	return filepath.Join(Root(), "..", "shared")
}

// Sosmeta is the folder of the national Sosmeta JSON Schemas.
func Sosmeta() string {
	if d := os.Getenv("KANTAMIG_SOSMETA"); d != "" {
		return d
	}
	return filepath.Join(Shared(), "sosmeta")
}

// CopyDir copies a folder of the repository (e.g. "mapping/testdata") into a
// fresh temporary folder and returns it, so that a test may change files
// without touching the source tree.
func CopyDir(t testing.TB, repoDir string) string {
	t.Helper()
	src := filepath.Join(Root(), repoDir)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// MappingFixture copies the mapping fixtures (mapping/testdata) into a
// temporary folder, with the paths they give to the sample code sets made
// absolute so that they resolve from there, and returns the folder.
func MappingFixture(t testing.TB) string {
	t.Helper()
	dir := CopyDir(t, filepath.Join("mapping", "testdata"))
	codesets := filepath.Join(Root(), "samples", "codesets")
	names, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.ReplaceAll(string(data), "../../samples/codesets", codesets))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// SampleMapping copies one of the sample mappings (mappings/NAME) into a
// temporary folder, with its paths to the samples made absolute and edit
// applied to its text (nil for none), and returns the copy's path.
func SampleMapping(t testing.TB, name string, edit func(string) string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(), "mappings", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "../samples/", filepath.Join(Root(), "samples")+"/")
	if edit != nil {
		text = edit(text)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ReadShared reads a file of the shared folder (../shared), by its path
// inside it.
func ReadShared(t testing.TB, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{Shared()}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SmallClassic is the first sample system's mapping (sosiaalitoimi-classic)
// reading the small sample of the same system (samples/legacy-small: 49
// clients, 119 document records, 195 archive documents, every planted fault
// of the full sample), with
// edit applied (nil for none). Scenario tests run it; the full sample runs
// only where its size proves something.
func SmallClassic(t testing.TB, edit func(string) string) string {
	t.Helper()
	return SampleMapping(t, "sosiaalitoimi-classic.yaml", func(text string) string {
		text = strings.ReplaceAll(text, "/samples/legacy/", "/samples/legacy-small/")
		if edit != nil {
			text = edit(text)
		}
		return text
	})
}
