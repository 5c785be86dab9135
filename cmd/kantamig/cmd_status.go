package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

func statusCommand(c *cli) *cobra.Command {
	cmd := newCommand("status")
	fs := cmd.Flags()
	path := fs.String("state", "", "state store of the run: a file, or postgres: for a shared one (every shard's)")
	asJSON := fs.Bool("json", false, "print the status as JSON (for scripts); the exit code is the same")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout, stderr := c.stdout, c.stderr
		if *path == "" {
			fmt.Fprintln(stderr, "kantamig status: give --state FILE")
			return exitWith(exitUsage)
		}
		st, err := state.OpenReadOnly(*path)
		if err != nil {
			return err
		}
		defer st.Close()
		if *asJSON {
			s, err := statusOf(st, *path)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(s); err != nil {
				return err
			}
			return statusExit(s)
		}
		return printStatus(stdout, st, *path)
	}
	return cmd
}

// statusOf reads where a run stands: the shared store named without its
// secrets.
func statusOf(st state.Store, path string) (*ledger.Status, error) {
	if state.IsShared(path) {
		path = st.Location()
	}
	return ledger.ReadStatus(st, path)
}

// statusExit is status's exit code: 0 only when the run is complete and
// reconciles; a ledger that does not reconcile is its own code.
func statusExit(s *ledger.Status) error {
	switch {
	case !s.Reconciles:
		return exitWith(exitUnreconciled)
	case s.Complete:
		return nil
	}
	return exitWith(exitIncomplete)
}

// entityWidth is the width of the entity column of printed counts: the
// longest entity name.
var entityWidth = func() int {
	w := 0
	for _, e := range report.Entities {
		w = max(w, len(e))
	}
	return w
}()

// printStatus prints the counts and the reconciliation of a run; its exit
// code is 0 only when the run is complete and reconciles.
func printStatus(w io.Writer, st state.Store, path string) error {
	s, err := statusOf(st, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-*s %9s %9s %9s %9s %9s %9s\n", entityWidth, "entity", "read", "records", "loaded", "rejected", "skipped", "pending")
	for _, e := range s.Entities {
		fmt.Fprintf(w, "%-*s %9d %9d %9d %9d %9d %9d\n", entityWidth, e.Entity, e.Read, e.Records, e.Loaded, e.Rejected, e.Skipped, e.Pending)
	}
	t := s.Total
	// Records, beside read: the store also holds the cases kantamig made
	// for documents without a case.
	fmt.Fprintf(w, "pass %d: read %d, records %d = loaded %d + rejected %d + skipped %d + pending %d (%s)\n", s.Pass, t.Read, t.Records, t.Loaded, t.Rejected, t.Skipped, t.Pending, reconciled(s.Reconciles))
	for _, sc := range s.Sources {
		if sc.SourceCount != nil {
			fmt.Fprintf(w, "  %s from %s: the source counts %d (%s), %d read\n", sc.Entity, sc.Source, *sc.SourceCount, sc.CountedBy, sc.Read)
		}
	}
	for _, p := range s.Problems {
		fmt.Fprintf(w, "DOES NOT RECONCILE: %s\n", p)
	}
	if e := s.Earlier; e.Records > 0 {
		fmt.Fprintf(w, "earlier passes: %d record(s) the latest pass did not read again (loaded %d, pending %d, rejected %d, skipped %d)\n", e.Records, e.Loaded, e.Pending, e.Rejected, e.Skipped)
	}
	for _, f := range s.Failures {
		word := "failed"
		switch f.Rule {
		case kanta.RuleArchiveRejected:
			word = "refused"
		case kanta.RuleHeldBack:
			word = "waiting"
		}
		fmt.Fprintf(w, "%s: %s %s at %s (%s): %s: %s\n", word, f.Entity, f.Key, f.Locator, f.OID, f.Rule, f.Reason)
	}
	for _, sh := range s.Shards {
		word := "not complete"
		if sh.Complete {
			word = "complete"
		}
		fmt.Fprintf(w, "shard %s: loaded %d, pending %d: %s\n", sh.Shard, sh.Loaded, sh.Pending, word)
	}
	switch {
	case !s.Reconciles:
		fmt.Fprintf(w, "%s: the counts DO NOT RECONCILE. %s\n", s.Store, ledger.Advice)
	case s.Complete:
		fmt.Fprintf(w, "%s: complete\n", s.Store)
		return nil
	case refusedIn(s.Failures):
		fmt.Fprintf(w, "%s: not complete: the archive refused documents (listed above); correct them and run again with --restage, or with --retry-refused to send them unchanged\n", s.Store)
	default:
		fmt.Fprintf(w, "%s: not complete; run the same kantamig run command again to continue\n", s.Store)
	}
	return statusExit(s)
}

// refusedIn says whether any of the failures listed is the archive's refusal.
func refusedIn(failures []ledger.FailedRecord) bool {
	for _, f := range failures {
		if f.Rule == kanta.RuleArchiveRejected {
			return true
		}
	}
	return false
}
