package token

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

const testPIN = "4711-test-pin"

// tokenDir is set by TestMain when a SoftHSM2 token could be made.
var tokenDir string

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := exec.LookPath("softhsm2-util"); err != nil {
			if testenv.ToolsRequired() {
				os.Stderr.WriteString("softhsm2 is required (apt-get install softhsm2 opensc)\n")
				return 1
			}
			return m.Run() // tests skip themselves
		}
		dir, err := os.MkdirTemp("", "kantamig-token-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		if err := SetUpTestToken(dir, testPIN); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			return 1
		}
		tokenDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

func needToken(t testing.TB) Config {
	t.Helper()
	if tokenDir == "" {
		testenv.Missing(t, "softhsm2 (apt-get install softhsm2 opensc)")
	}
	return Config{Module: DefaultModule, TokenLabel: "kantamig", KeyLabel: "org-signing", PIN: testPIN, Workers: 2}
}

func TestOpenFindsKeyAndCertificate(t *testing.T) {
	cfg := needToken(t)
	tok, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	if tok.Cert.Subject.SerialNumber != "1.2.246.10.99999991.10.0" {
		t.Errorf("certificate subject serialNumber %q, want the organisation OID", tok.Cert.Subject.SerialNumber)
	}
}

func TestWrongPINIsClearAndNeverEchoed(t *testing.T) {
	cfg := needToken(t)
	cfg.PIN = "0000-wrong"
	_, err := Open(cfg)
	if !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("want ErrWrongPIN, got %v", err)
	}
	if strings.Contains(err.Error(), cfg.PIN) || strings.Contains(err.Error(), testPIN) {
		t.Errorf("error mentions a PIN: %v", err)
	}
	// The right PIN still works: one wrong try did not lock the token.
	cfg.PIN = testPIN
	tok, err := Open(cfg)
	if err != nil {
		t.Fatalf("right PIN after one wrong try: %v", err)
	}
	tok.Close()
}

func TestMissingKeyListsTheKeys(t *testing.T) {
	cfg := needToken(t)
	cfg.KeyLabel = "org-signin"
	_, err := Open(cfg)
	var nf *KeyNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("want KeyNotFoundError, got %v", err)
	}
	if !strings.Contains(err.Error(), "org-signing") {
		t.Errorf("error does not list the token's keys: %v", err)
	}
}

func TestUnknownTokenLabel(t *testing.T) {
	cfg := needToken(t)
	cfg.TokenLabel = "no-such-token"
	_, err := Open(cfg)
	if err == nil || !strings.Contains(err.Error(), "no token with label no-such-token") {
		t.Errorf("got %v", err)
	}
}

func TestNoPIN(t *testing.T) {
	if _, err := Open(Config{TokenLabel: "x", KeyLabel: "y"}); !errors.Is(err, ErrNoPIN) {
		t.Errorf("got %v", err)
	}
}

func TestSetupScriptIsRerunnable(t *testing.T) {
	needToken(t)
	dir := filepath.Join(t.TempDir(), "token")
	for i := 0; i < 2; i++ {
		if err := SetUpTestToken(dir, testPIN); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "org-signing.pem")); err != nil {
		t.Error(err)
	}
	// The folder the script creates is the owner's only (it used to be 0755).
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("token folder mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}
