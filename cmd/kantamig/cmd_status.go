package main

import (
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/kantamig/kantamig/load/state"
)

func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("state", "", "state file of the run")
	if err := fs.Parse(args); err != nil {
		return exitWith(exitUsage)
	}
	if *path == "" {
		fmt.Fprintln(stderr, "kantamig status: give --state FILE")
		return exitWith(exitUsage)
	}
	st, err := state.OpenReadOnly(*path)
	if err != nil {
		return err
	}
	defer st.Close()
	return printStatus(stdout, st, *path)
}

// printStatus prints the counts and the reconciliation of a run; its exit
// code is 0 only when the run is complete and reconciles.
func printStatus(w io.Writer, st state.Store, path string) error {
	counts, err := st.Counts()
	if err != nil {
		return err
	}
	complete, _ := st.Setting("complete")
	entities := make([]string, 0, len(counts))
	for e := range counts {
		entities = append(entities, e)
	}
	sort.Strings(entities)
	var total, loaded, rejected, skipped, pending int
	fmt.Fprintf(w, "%-14s %9s %9s %9s %9s %9s\n", "entity", "records", "loaded", "rejected", "skipped", "pending")
	for _, e := range entities {
		c := counts[e]
		n := c[state.Loaded] + c[state.Rejected] + c[state.Skipped] + c[state.Pending]
		fmt.Fprintf(w, "%-14s %9d %9d %9d %9d %9d\n", e, n, c[state.Loaded], c[state.Rejected], c[state.Skipped], c[state.Pending])
		total, loaded, rejected, skipped, pending = total+n, loaded+c[state.Loaded], rejected+c[state.Rejected], skipped+c[state.Skipped], pending+c[state.Pending]
	}
	reconciles := total == loaded+rejected+skipped+pending
	// Records, not "extracted": the store also holds the cases kantamig made
	// for documents without a case.
	fmt.Fprintf(w, "records %d = loaded %d + rejected %d + skipped %d + pending %d (%s)\n", total, loaded, rejected, skipped, pending, reconciled(reconciles))
	failures, err := st.Failures(20)
	if err != nil {
		return err
	}
	for _, f := range failures {
		fmt.Fprintf(w, "failed: %s %s (%s): %s: %s\n", f.Entity, f.Key, f.DocOID, f.Rule, f.Reason)
	}
	if complete == "yes" && pending == 0 && reconciles {
		fmt.Fprintf(w, "%s: complete\n", path)
		return nil
	}
	fmt.Fprintf(w, "%s: not complete; run the same kantamig run command again to continue\n", path)
	return exitWith(exitIncomplete)
}
