package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/kantamig/kantamig/eventlog"
)

// Off a terminal, progress is a line every interval with the date, time and
// zone, the count, total, time left and rate, and each phase leaves one line
// with its count, time and rate.
func TestLineProgress(t *testing.T) {
	var out bytes.Buffer
	log, err := eventlog.New(&out, eventlog.Text, eventlog.Normal)
	if err != nil {
		t.Fatal(err)
	}
	p := &lineProgress{log: log, every: 20 * time.Millisecond}
	p.Start("signing in delivery order", 100)
	p.Add(40)
	time.Sleep(70 * time.Millisecond)
	p.Add(60)
	p.Finish()
	text := out.String()
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) signing in delivery order: 40 of 100, about \S+ left \(\d+/s\)$`).MatchString(text) {
		t.Errorf("no running line with count, total and time left:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) signing in delivery order: 100 in [0-9.]+m?s \(\d+/s, [0-9.]+m?s CPU\)$`).MatchString(text) {
		t.Errorf("no final line with count, time, rate and processor time:\n%s", text)
	}
}

// With a store that counts its statements, a finished phase says how many
// it sent.
func TestLineProgressCountsStatements(t *testing.T) {
	var out bytes.Buffer
	log, err := eventlog.New(&out, eventlog.Text, eventlog.Normal)
	if err != nil {
		t.Fatal(err)
	}
	sent := int64(1000)
	p := &lineProgress{log: log, every: time.Hour}
	p.countStatements(func() int64 { return sent })
	p.Start("staging", 0)
	p.Add(10)
	sent += 37
	p.Finish()
	if !regexp.MustCompile(`staging: 10 in [0-9.]+m?s \(\d+/s, [0-9.]+m?s CPU, 37 statements\)`).MatchString(out.String()) {
		t.Errorf("no count of the phase's statements:\n%s", out.String())
	}
}
