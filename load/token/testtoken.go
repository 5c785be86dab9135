package token

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// SetUpTestToken runs scripts/token-setup.sh to make a SoftHSM2 token in dir
// with the given PIN, and points SOFTHSM2_CONF at it for this process. Its
// certificate is the sample organisation's (1.2.246.10.99999991.10.0),
// issued by the test CA in dir/ca (ca.pem). It is for tests and benchmarks.
func SetUpTestToken(dir, pin string) error { return SetUpTestTokenFor(dir, pin, "") }

// SetUpTestTokenFor is SetUpTestToken with the certificate of another
// organisation ("" for the sample one).
func SetUpTestTokenFor(dir, pin, org string) error {
	conf, err := SetUpTestTokenIn(dir, pin, org)
	if err != nil {
		return err
	}
	return os.Setenv("SOFTHSM2_CONF", conf)
}

// SetUpTestTokenIn is SetUpTestTokenFor that leaves this process's
// environment alone and returns the token's SOFTHSM2_CONF, for a test
// that hands it to the processes it starts (tests in parallel, each with
// a token of its own).
func SetUpTestTokenIn(dir, pin, org string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	args := []string{filepath.Join(root, "scripts", "token-setup.sh"), dir}
	if org != "" {
		args = append(args, org)
	}
	cmd := exec.Command("bash", args...)
	cmd.Env = append(os.Environ(), "KANTAMIG_PIN="+pin)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("token setup: %v\n%s", err, out)
	}
	return filepath.Join(dir, "softhsm2.conf"), nil
}
