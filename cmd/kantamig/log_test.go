package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// events reads stderr written with --log-format json: one object a line.
func events(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("a line that is not a JSON object: %q", line)
		}
		for _, field := range []string{"time", "level", "event", "msg"} {
			if _, ok := e[field]; !ok {
				t.Errorf("an event without %s: %q", field, line)
			}
		}
		out = append(out, e)
	}
	return out
}

func find(evs []map[string]any, event string) map[string]any {
	for _, e := range evs {
		if e["event"] == event {
			return e
		}
	}
	return nil
}

// With --log-format json every line on stderr is an event object: the
// phases of a dry-run with their counts, and an error with its exit code,
// hint and a mapping's problems each with its place; -q leaves out the
// progress; -q with -v is refused.
func TestTheJSONLog(t *testing.T) {
	mapping := filepath.Join(testenv.MappingFixture(t), "valid.yaml")
	code, _, stderr := runCLI(t, "dry-run", "-m", mapping, "--report", filepath.Join(t.TempDir(), "r.xlsx"), "--log-format", "json")
	if code != exitOK {
		t.Fatalf("dry-run: exit %d\n%s", code, stderr)
	}
	done := find(events(t, stderr), "phase-done")
	if done == nil || done["phase"] == nil || done["done"].(float64) <= 0 {
		t.Errorf("no phase-done event with a count: %s", stderr)
	}

	broken := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, "    family_name: sukunimi", "    family_nam: sukunimi", 1)
	})
	code, _, stderr = runCLI(t, "check", "-m", broken, "--log-format", "json")
	e := find(events(t, stderr), "error")
	if code != exitMapping || e == nil || e["exit_code"] != float64(exitMapping) || e["level"] != "ERROR" {
		t.Fatalf("a broken mapping: exit %d, %s", code, stderr)
	}
	if problems, _ := e["problems"].([]any); len(problems) == 0 || !regexp.MustCompile(`\.yaml:\d+:5: clients: unknown target field "family_nam"`).MatchString(fmt.Sprint(problems)) {
		t.Errorf("the error's problems: %v", e["problems"])
	}

	code, _, stderr = runCLI(t, "dry-run", "-m", mapping, "--report", filepath.Join(t.TempDir(), "r.xlsx"), "--log-format", "json", "-q")
	if code != exitOK || find(events(t, stderr), "phase-done") != nil {
		t.Errorf("-q: exit %d, progress written:\n%s", code, stderr)
	}
	if code, _, _ := runCLI(t, "check", "-m", mapping, "-q", "-v"); code != exitUsage {
		t.Errorf("-q -v: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "check", "-m", mapping, "--log-format", "xml"); code != exitUsage {
		t.Errorf("--log-format xml: exit %d, want %d", code, exitUsage)
	}
}
