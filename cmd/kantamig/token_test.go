package main

import (
	"bytes"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
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

// dryRunArgs are the arguments of a dry-run of the small sample, its report
// in dir.
func dryRunArgs(t *testing.T, dir string, extra ...string) []string {
	return append([]string{"dry-run", "-m", testenv.SmallClassic(t, nil), "--sosmeta", testenv.Sosmeta(),
		"--report", filepath.Join(dir, "r.xlsx")}, extra...)
}

func TestWrongPINExitsFiveAndSignsNothing(t *testing.T) {
	flags := withToken(t)
	dir := t.TempDir()
	t.Setenv("KANTAMIG_PIN", "9999-wrong")
	code, _, stderr := runCLI(t, dryRunArgs(t, dir, append(flags, "--documents", filepath.Join(dir, "docs"))...)...)
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
	code, _, stderr := runCLI(t, dryRunArgs(t, t.TempDir(), flags...)...)
	if code != exitToken || !strings.Contains(stderr, "keys labelled: org-signing") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// The PIN from a file (KANTAMIG_PIN_FILE, as a Kubernetes Secret or systemd
// credential hands it over) signs; every signature verifies.
func TestTokenSignedDryRunVerifies(t *testing.T) {
	flags := withToken(t)
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte(cliPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KANTAMIG_PIN", "")
	t.Setenv("KANTAMIG_PIN_FILE", pinFile)
	docs := filepath.Join(dir, "docs")
	code, stdout, stderr := runCLI(t, dryRunArgs(t, dir, append(flags, "--documents", docs)...)...)
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

// A token whose certificate is another organisation's is refused before
// anything is signed (exit 6, no document written); with
// --allow-foreign-certificate it signs, warning, and the report says so.
// verify then refuses those signatures for the organisation, and takes the
// sample's own token's only when they chain to its CA.
func TestForeignCertificateIsRefusedBeforeSigning(t *testing.T) {
	testenv.Require(t, "softhsm2-util", "apt-get install softhsm2 opensc")
	tokenDir := t.TempDir()
	if err := token.SetUpTestTokenFor(tokenDir, cliPIN, "1.2.246.10.12345678.10.0"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KANTAMIG_PIN", cliPIN)
	flags := []string{"--sign-with-token", "--token-label", "kantamig", "--key-label", "org-signing"}
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	code, _, stderr := runCLI(t, dryRunArgs(t, dir, append(flags, "--documents", docs)...)...)
	if code != exitToken || !strings.Contains(stderr, `serialNumber "1.2.246.10.12345678.10.0" is not the organisation the mapping names as custodian (1.2.246.10.99999991.10.0)`) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(docs, "*.xml")); len(files) != 0 {
		t.Fatalf("%d documents signed with a foreign certificate", len(files))
	}
	code, _, stderr = runCLI(t, dryRunArgs(t, dir, append(flags, "--documents", docs, "--allow-foreign-certificate", "--sample", "10")...)...)
	report, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if code != exitOK || !strings.Contains(stderr, "WARNING") || !strings.Contains(string(report), "FOREIGN CERTIFICATE ALLOWED") {
		t.Fatalf("with --allow-foreign-certificate: exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(docs, "client-relationship-*.xml"))
	code, stdout, _ := runCLI(t, "verify", "--organisation", "1.2.246.10.99999991.10.0", files[0])
	if code != exitVerify || !strings.Contains(stdout, "not by the custodian 1.2.246.10.99999991.10.0") {
		t.Errorf("verify of a foreign signature: exit %d\n%s", code, stdout)
	}

	// The sample organisation's own token: its certificate chains to the
	// test CA it was issued by, and to no other.
	flags = withToken(t)
	ownDir := t.TempDir()
	own := filepath.Join(ownDir, "docs")
	if code, _, stderr := runCLI(t, dryRunArgs(t, ownDir, append(flags, "--documents", own, "--sample", "10")...)...); code != exitOK {
		t.Fatalf("the organisation's own token: exit %d: %s", code, stderr)
	}
	files, _ = filepath.Glob(filepath.Join(own, "client-relationship-*.xml"))
	anchor := filepath.Join(os.Getenv("SOFTHSM2_CONF"), "..", "ca", "ca.pem")
	if code, stdout, _ := runCLI(t, "verify", "--trust-anchor", anchor, "--organisation", "1.2.246.10.99999991.10.0", files[0]); code != exitOK {
		t.Errorf("verify with the token's CA: exit %d\n%s", code, stdout)
	}
	stranger, err := sign.OpenTestCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	strangerPEM := filepath.Join(t.TempDir(), "stranger.pem")
	os.WriteFile(strangerPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: stranger.Cert.Raw}), 0o600)
	if code, stdout, _ := runCLI(t, "verify", "--trust-anchor", strangerPEM, files[0]); code != exitVerify || !strings.Contains(stdout, "does not chain to a trust anchor") {
		t.Errorf("verify with another CA: exit %d\n%s", code, stdout)
	}
}

// A run refused on its arguments (the token's PIN, a sink that is no
// sink) leaves no state file behind.
func TestRefusedRunLeavesNoStateFile(t *testing.T) {
	flags := withToken(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "run.db")
	for name, tc := range map[string]struct {
		pin, sink string
		want      int
	}{
		"a wrong PIN":     {"9999-wrong", "dir:" + filepath.Join(dir, "pkg"), exitWrongPIN},
		"an unknown sink": {cliPIN, "ftp:" + filepath.Join(dir, "pkg"), exitUsage},
	} {
		t.Setenv("KANTAMIG_PIN", tc.pin)
		args := append([]string{"run", "-m", "../../mappings/sosiaalitoimi-classic.yaml", "--state", state, "--sink", tc.sink,
			"--report", filepath.Join(dir, "r.xlsx")}, flags[1:]...)
		code, _, stderr := runCLI(t, args...)
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, tc.want, stderr)
		}
		if _, err := os.Stat(state); !os.IsNotExist(err) {
			t.Errorf("%s: a state file was left behind (%v)", name, err)
		}
	}
}
