package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/load/state"
)

func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("state", "", "state store of the run: a file, or postgres: for a shared one (every shard's)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
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
	if strings.HasPrefix(path, "postgres:") {
		path = st.Location() // the shared store by name, without its secrets
	}
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
	if err := printShards(w, st); err != nil {
		return err
	}
	if complete == "yes" && pending == 0 && reconciles {
		fmt.Fprintf(w, "%s: complete\n", path)
		return nil
	}
	fmt.Fprintf(w, "%s: not complete; run the same kantamig run command again to continue\n", path)
	return exitWith(exitIncomplete)
}

// printShards prints, for a sharded run, each shard's pending records and
// whether its worker finished.
func printShards(w io.Writer, st state.Store) error {
	sh, ok := st.(state.Sharded)
	if !ok {
		return nil
	}
	v, err := st.Setting("shards")
	if err != nil || v == "" {
		return err
	}
	n, _ := strconv.Atoi(v)
	for i := 0; i < n; i++ {
		counts, err := sh.ShardCounts(i)
		if err != nil {
			return err
		}
		var loaded, pending int
		for _, c := range counts {
			loaded, pending = loaded+c[state.Loaded], pending+c[state.Pending]
		}
		done, _ := st.Setting(fmt.Sprintf("complete/%d", i))
		word := "not complete"
		if done == "yes" && pending == 0 {
			word = "complete"
		}
		fmt.Fprintf(w, "shard %d/%d: loaded %d, pending %d: %s\n", i, n, loaded, pending, word)
	}
	return nil
}
