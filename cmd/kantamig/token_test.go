package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/token"
)

const cliPIN = "1357-cli"

func withToken(t *testing.T) []string {
	t.Helper()
	testenv.Require(t, "softhsm2-util", "apt-get install softhsm2 opensc")
	if err := token.SetUpTestToken(t.TempDir(), cliPIN); err != nil {
		t.Fatal(err)
	}
	return []string{"--sign-with-token", "--token-label", "kantamig", "--key-label", "org-signing"}
}

func dryRunArgs(dir string, extra ...string) []string {
	return append([]string{"dry-run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--sosmeta", testenv.Sosmeta(),
		"--report", filepath.Join(dir, "r.xlsx")}, extra...)
}

func TestWrongPINExitsFiveAndSignsNothing(t *testing.T) {
	flags := withToken(t)
	dir := t.TempDir()
	t.Setenv("KANTAMIG_PIN", "9999-wrong")
	code, _, stderr := runCLI(t, dryRunArgs(dir, append(flags, "--documents", filepath.Join(dir, "docs"))...)...)
	if code != exitWrongPIN {
		t.Errorf("exit %d, want %d; %s", code, exitWrongPIN, stderr)
	}
	if !strings.Contains(stderr, "refused the PIN") || strings.Contains(stderr, "9999-wrong") {
		t.Errorf("stderr: %s", stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "docs", "*")); len(files) != 0 {
		t.Errorf("%d documents written after a wrong PIN", len(files))
	}
}

func TestMissingKeyExitsSixAndListsKeys(t *testing.T) {
	flags := withToken(t)
	t.Setenv("KANTAMIG_PIN", cliPIN)
	flags[len(flags)-1] = "org-sgning"
	code, _, stderr := runCLI(t, dryRunArgs(t.TempDir(), flags...)...)
	if code != exitToken || !strings.Contains(stderr, "keys labelled: org-signing") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestTokenSignedDryRunVerifies(t *testing.T) {
	flags := withToken(t)
	t.Setenv("KANTAMIG_PIN", cliPIN)
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	code, stdout, stderr := runCLI(t, dryRunArgs(dir, append(flags, "--documents", docs)...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "with token kantamig, key org-signing") {
		t.Errorf("stdout does not say what signed: %s", stdout)
	}
	code, stdout, _ = runCLI(t, "verify", docs)
	if code != exitOK || !strings.Contains(stdout, " 0 failed") {
		t.Fatalf("verify: exit %d\n%s", code, stdout[max(0, len(stdout)-300):])
	}
	// One changed character in one body: that document, and only it, fails.
	files, _ := filepath.Glob(filepath.Join(docs, "client-document-*.xml"))
	data, _ := os.ReadFile(files[0])
	i := bytes.Index(data, []byte(`representation="B64">`)) + len(`representation="B64">`) + 10
	data[i] ^= 1
	os.WriteFile(files[0], data, 0o600)
	code, stdout, _ = runCLI(t, "verify", docs)
	if code != exitVerify || !strings.Contains(stdout, " 1 failed") || !strings.Contains(stdout, "FAIL "+files[0]) {
		t.Errorf("after tampering: exit %d\n%s", code, stdout[max(0, len(stdout)-300):])
	}
}

func TestVerifyAcceptsTheArchiveSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Shared(), "reference", "kanta-samples", "*.signed.xml"))
	code, stdout, _ := runCLI(t, append([]string{"verify"}, files...)...)
	if code != exitOK || strings.Count(stdout, "OK  ") != len(files) {
		t.Errorf("exit %d\n%s", code, stdout)
	}
}
