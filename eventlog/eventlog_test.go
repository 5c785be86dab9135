package eventlog

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Text lines start with the date, time and zone; JSON lines are one object
// each with the stable fields; the verbosity chooses what is written.
func TestFormatsAndLevels(t *testing.T) {
	var text bytes.Buffer
	l, err := New(&text, Text, Normal)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("progress", "delivering: 5 of 10", "phase", "delivering", "done", 5)
	l.Warn("refused", "the archive refused a document")
	l.Detail("held-back", "not shown at the normal level")
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines at the normal level, want 2:\n%s", len(lines), text.String())
	}
	stamp := `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `
	if !regexp.MustCompile(stamp+`delivering: 5 of 10$`).MatchString(lines[0]) || !regexp.MustCompile(stamp+`WARNING the archive refused`).MatchString(lines[1]) {
		t.Errorf("text lines:\n%s", text.String())
	}

	var js bytes.Buffer
	l, _ = New(&js, JSON, Verbose)
	l.Info("progress", "delivering: 5 of 10", "phase", "delivering", "done", 5, "total", 10)
	l.Detail("held-back", "it waits", "oid", "1.2.3")
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not one JSON object a line: %q: %v", line, err)
		}
		events = append(events, e)
	}
	if len(events) != 2 || events[0]["event"] != "progress" || events[0]["done"] != 5.0 || events[0]["phase"] != "delivering" || events[1]["level"] != "DETAIL" {
		t.Errorf("JSON events: %v", events)
	}
	if _, err := time.Parse(time.RFC3339Nano, events[0]["time"].(string)); err != nil {
		t.Errorf("time %v: %v", events[0]["time"], err)
	}

	var quiet bytes.Buffer
	l, _ = New(&quiet, JSON, Quiet)
	l.Info("progress", "not shown")
	l.Error("error", "shown", "exit_code", 8)
	if n := strings.Count(quiet.String(), "\n"); n != 1 || !strings.Contains(quiet.String(), `"exit_code":8`) {
		t.Errorf("quiet: %q", quiet.String())
	}
	if _, err := New(&quiet, "xml", Normal); err == nil {
		t.Error("an unknown format was taken")
	}
}
