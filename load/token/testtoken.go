package token

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// SetUpTestToken runs scripts/token-setup.sh to make a SoftHSM2 token in dir
// with the given PIN, and points SOFTHSM2_CONF at it for this process. It is
// for tests and benchmarks.
func SetUpTestToken(dir, pin string) error {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "token-setup.sh"), dir)
	cmd.Env = append(os.Environ(), "KANTAMIG_PIN="+pin)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("token setup: %v\n%s", err, out)
	}
	return os.Setenv("SOFTHSM2_CONF", filepath.Join(dir, "softhsm2.conf"))
}
