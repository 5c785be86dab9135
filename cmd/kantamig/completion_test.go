package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// The bash completion script, loaded into a real bash, completes commands,
// flags and the choices of a flag by asking the binary itself; the zsh one
// is a zsh completion function.
func TestShellCompletion(t *testing.T) {
	const bashCompletion = "/usr/share/bash-completion/bash_completion" // the helpers cobra's script uses, as on a user's machine
	if _, err := os.Stat(bashCompletion); err != nil {
		testenv.Missing(t, "bash-completion (apt-get install bash-completion)")
	}
	bin := buildBinary(t)
	code, script, stderr := runCLI(t, "completion", "bash")
	if code != exitOK || !strings.Contains(script, "__start_kantamig") {
		t.Fatalf("completion bash: exit %d\n%s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "kantamig.bash")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) []string {
		line := strings.Join(words, " ")
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		sh := `source ` + bashCompletion + `; source "$1"; COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); ` +
			`COMP_LINE='` + line + `'; COMP_POINT=${#COMP_LINE}; __start_kantamig; printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", sh, "bash", path)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"kantamig", "dry"}, []string{"dry-run"}},
		{[]string{"kantamig", "run", "--processing-"}, []string{"--processing-code"}},
		{[]string{"kantamig", "run", "--processing-code", ""}, []string{"P", "D", "T"}},
		{[]string{"kantamig", "status", "--"}, []string{"--state", "--json"}},
	} {
		got := complete(tc.words...)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: completions %v lack %q", tc.words, got, w)
			}
		}
	}
	if code, script, _ := runCLI(t, "completion", "zsh"); code != exitOK || !strings.HasPrefix(script, "#compdef kantamig") {
		t.Errorf("completion zsh: exit %d\n%.200s", code, script)
	}
}
