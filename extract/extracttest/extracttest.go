// Package extracttest is the conformance suite every source kind passes:
// records end cleanly after the last one; a broken input is an error, never
// an early end; cancellation stops the stream; locators are non-empty and
// stable; bytes outside the declared encoding are reported, not repaired;
// Probe names every field the records carry, for check.
// See extract.Kind for the checklist of adding a kind.
package extracttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/extract"
)

// Harness writes inputs in the kind's own format.
type Harness struct {
	// Write makes an input holding rows under columns (all values plain
	// text) and returns the spec that reads it.
	Write func(t *testing.T, columns []string, rows [][]string) extract.Spec
	// Broken makes an input of the same rows that breaks after the first
	// few (a truncated file, a connection lost), or nil when the kind has no
	// way to break mid-stream that a test here can produce.
	Broken func(t *testing.T, columns []string, rows [][]string) extract.Spec
	// Invalid makes an input whose only record holds, in column "text", the
	// given bytes, which are not valid in the input's declared encoding; nil
	// when the kind's format cannot carry such bytes (a workbook).
	Invalid func(t *testing.T, raw []byte) extract.Spec
}

// Rows is the suite's sample: 250 records with Finnish letters.
func Rows() ([]string, [][]string) {
	cols := []string{"id", "name", "text"}
	var rows [][]string
	for i := 1; i <= 250; i++ {
		rows = append(rows, []string{fmt.Sprintf("K%03d", i), fmt.Sprintf("Äyräpää %d", i), fmt.Sprintf("Rivi %d: ö, å ja ä.", i)})
	}
	return cols, rows
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("RecordsEndCleanlyAfterTheLast", func(t *testing.T) { endsCleanly(t, h) })
	t.Run("LocatorsAreNonEmptyAndStable", func(t *testing.T) { locators(t, h) })
	t.Run("ARecordStaysTheCallersAfterNext", func(t *testing.T) { kept(t, h) })
	t.Run("CancellationStopsTheStream", func(t *testing.T) { cancellation(t, h) })
	t.Run("ProbeNamesTheFieldsTheRecordsCarry", func(t *testing.T) { probe(t, h) })
	t.Run("BrokenInputIsAnErrorNotAnEarlyEnd", func(t *testing.T) {
		if h.Broken == nil {
			t.Skip("no broken input of this kind can be made here")
		}
		broken(t, h)
	})
	t.Run("BytesOutsideTheEncodingAreReportedNotRepaired", func(t *testing.T) {
		if h.Invalid == nil {
			t.Skip("this kind's format cannot carry bytes outside its encoding")
		}
		invalid(t, h)
	})
}

func open(t *testing.T, spec extract.Spec) extract.Source {
	t.Helper()
	s, err := extract.Open(spec)
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	return s
}

func readAll(t *testing.T, spec extract.Spec) []extract.Record {
	t.Helper()
	s := open(t, spec)
	defer s.Close()
	recs, err := extract.ReadAll(context.Background(), s)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	return recs
}

func endsCleanly(t *testing.T, h Harness) {
	cols, rows := Rows()
	s := open(t, h.Write(t, cols, rows))
	defer s.Close()
	for i, want := range rows {
		rec, err := s.Next(context.Background())
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		for c, col := range cols {
			if got, _ := rec.Get(col); got != want[c] {
				t.Fatalf("record %d, %s = %q, want %q", i+1, col, got, want[c])
			}
		}
	}
	for i := 0; i < 3; i++ { // and stays ended
		if _, err := s.Next(context.Background()); err != io.EOF {
			t.Fatalf("after the last record: %v, want io.EOF", err)
		}
	}
}

// kept reads every record before looking at any: staging reads a source
// ahead (pipeline's readAhead), so a record must not change when the next
// is read (a source reusing its Fields map would fail here).
func kept(t *testing.T, h Harness) {
	cols, rows := Rows()
	recs := readAll(t, h.Write(t, cols, rows))
	if len(recs) != len(rows) {
		t.Fatalf("read %d records, want %d", len(recs), len(rows))
	}
	for i, want := range rows {
		for c, col := range cols {
			if got, _ := recs[i].Get(col); got != want[c] {
				t.Fatalf("record %d, read with all the others, has %s = %q, want %q", i+1, col, got, want[c])
			}
		}
	}
}

func locators(t *testing.T, h Harness) {
	cols, rows := Rows()
	spec := h.Write(t, cols, rows)
	first, second := readAll(t, spec), readAll(t, spec)
	if len(first) != len(rows) || len(second) != len(rows) {
		t.Fatalf("read %d and %d records, want %d", len(first), len(second), len(rows))
	}
	seen := map[string]bool{}
	for i := range first {
		l := first[i].Locator
		if strings.TrimSpace(l) == "" {
			t.Fatalf("record %d has no locator", i+1)
		}
		if l != second[i].Locator {
			t.Fatalf("record %d: locator %q, then %q on a second read", i+1, l, second[i].Locator)
		}
		if seen[l] {
			t.Fatalf("locator %q names two records", l)
		}
		seen[l] = true
	}
}

func cancellation(t *testing.T, h Harness) {
	cols, rows := Rows()
	s := open(t, h.Write(t, cols, rows))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	n := 0
	for {
		_, err := s.Next(ctx)
		if err == nil {
			n++
			if n > len(rows) {
				t.Fatal("the stream went on after cancellation")
			}
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancellation: %v, want context.Canceled", err)
		}
		break
	}
	if n > 0 {
		t.Errorf("%d records after cancellation: a source stops at once", n)
	}
}

func broken(t *testing.T, h Harness) {
	cols, rows := Rows()
	s := open(t, h.Broken(t, cols, rows))
	defer s.Close()
	n := 0
	for {
		_, err := s.Next(context.Background())
		if err == io.EOF {
			t.Fatalf("a broken input ended cleanly after %d of %d records", n, len(rows))
		}
		if err != nil {
			if n >= len(rows) {
				t.Fatalf("every record was read before the error: the input was not broken")
			}
			return
		}
		n++
	}
}

func invalid(t *testing.T, h Harness) {
	raw := []byte("Mäkelä \xff\xfe loppu")
	s := open(t, h.Invalid(t, raw))
	defer s.Close()
	rec, err := s.Next(context.Background())
	if err != nil {
		if strings.TrimSpace(err.Error()) == "" {
			t.Fatal("an empty error")
		}
		return // reported by the source
	}
	got, _ := rec.Get("text")
	if strings.Contains(got, "\uFFFD") { // the replacement character, as bytes
		t.Fatalf("the invalid bytes were replaced: %q", got)
	}
	if got != string(raw) {
		t.Fatalf("text = %q, want the bytes as they were, %q, for the mapping to reject", got, raw)
	}
}

// probe: what Probe says a source has is what its records carry, so that
// check finds a misspelt column and passes a right one.
func probe(t *testing.T, h Harness) {
	cols, rows := Rows()
	spec := h.Write(t, cols, rows)
	p, err := extract.Probe(context.Background(), spec, 10)
	if err != nil {
		t.Fatalf("probing: %v", err)
	}
	have := map[string]bool{}
	for _, c := range p.Columns {
		have[c] = true
	}
	for _, c := range cols {
		if !have[c] {
			t.Errorf("Probe lists %v, without %q", p.Columns, c)
		}
	}
	if p.Sampled && p.Records != 10 {
		t.Errorf("sampled %d records, asked for 10", p.Records)
	}
}
