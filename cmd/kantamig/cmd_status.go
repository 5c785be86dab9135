package main

import (
	"encoding/json"
	"fmt"
	"github.com/spf13/cobra"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

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
			return s.exit()
		}
		return printStatus(stdout, st, *path)
	}
	return cmd
}

// runState is where a run stands, read from its state store: what status
// prints, as text or as JSON.
type runState struct {
	FormatVersion int           `json:"format_version"`
	Store         string        `json:"store"`
	Entities      []entityState `json:"entities"`
	Total         entityState   `json:"total"`
	Reconciles    bool          `json:"reconciles"`
	Complete      bool          `json:"complete"`
	Failures      []failedState `json:"failures"`
	Shards        []shardState  `json:"shards,omitempty"`
}

type entityState struct {
	Entity   string `json:"entity,omitempty"`
	Records  int    `json:"records"`
	Loaded   int    `json:"loaded"`
	Rejected int    `json:"rejected"`
	Skipped  int    `json:"skipped"`
	Pending  int    `json:"pending"`
}

type failedState struct {
	Entity string `json:"entity"`
	Key    string `json:"key"`
	OID    string `json:"document_oid"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

type shardState struct {
	Shard    string `json:"shard"`
	Loaded   int    `json:"loaded"`
	Pending  int    `json:"pending"`
	Complete bool   `json:"complete"`
}

// statusOf reads a run's state: entities in the order the reports use
// (client, its parts, case, case members, document), then any other.
func statusOf(st state.Store, path string) (*runState, error) {
	if strings.HasPrefix(path, "postgres:") {
		path = st.Location() // the shared store by name, without its secrets
	}
	counts, err := st.Counts()
	if err != nil {
		return nil, err
	}
	complete, _ := st.Setting("complete")
	entities := make([]string, 0, len(counts))
	for e := range counts {
		entities = append(entities, e)
	}
	sort.Slice(entities, func(a, b int) bool {
		ia, ib := slices.Index(report.Entities, entities[a]), slices.Index(report.Entities, entities[b])
		if ia < 0 {
			ia = len(report.Entities)
		}
		if ib < 0 {
			ib = len(report.Entities)
		}
		if ia != ib {
			return ia < ib
		}
		return entities[a] < entities[b]
	})
	s := &runState{FormatVersion: 1, Store: path, Failures: []failedState{}}
	for _, e := range entities {
		c := counts[e]
		es := entityState{Entity: e, Loaded: c[state.Loaded], Rejected: c[state.Rejected], Skipped: c[state.Skipped], Pending: c[state.Pending]}
		for _, n := range c {
			es.Records += n
		}
		s.Entities = append(s.Entities, es)
		s.Total.Records += es.Records
		s.Total.Loaded, s.Total.Rejected, s.Total.Skipped, s.Total.Pending = s.Total.Loaded+es.Loaded, s.Total.Rejected+es.Rejected, s.Total.Skipped+es.Skipped, s.Total.Pending+es.Pending
	}
	t := s.Total
	s.Reconciles = t.Records == t.Loaded+t.Rejected+t.Skipped+t.Pending
	s.Complete = complete == "yes" && t.Pending == 0 && s.Reconciles
	failures, err := st.Failures(20)
	if err != nil {
		return nil, err
	}
	for _, f := range failures {
		s.Failures = append(s.Failures, failedState{Entity: f.Entity, Key: f.Key, OID: f.DocOID, Rule: f.Rule, Reason: f.Reason})
	}
	if s.Shards, err = shardsOf(st); err != nil {
		return nil, err
	}
	return s, nil
}

// exit is status's exit code: 0 only when the run is complete and
// reconciles.
func (s *runState) exit() error {
	if s.Complete {
		return nil
	}
	return exitWith(exitIncomplete)
}

// printStatus prints the counts and the reconciliation of a run; its exit
// code is 0 only when the run is complete and reconciles.
func printStatus(w io.Writer, st state.Store, path string) error {
	s, err := statusOf(st, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-14s %9s %9s %9s %9s %9s\n", "entity", "records", "loaded", "rejected", "skipped", "pending")
	for _, e := range s.Entities {
		fmt.Fprintf(w, "%-14s %9d %9d %9d %9d %9d\n", e.Entity, e.Records, e.Loaded, e.Rejected, e.Skipped, e.Pending)
	}
	t := s.Total
	// Records, not "extracted": the store also holds the cases kantamig made
	// for documents without a case.
	fmt.Fprintf(w, "records %d = loaded %d + rejected %d + skipped %d + pending %d (%s)\n", t.Records, t.Loaded, t.Rejected, t.Skipped, t.Pending, reconciled(s.Reconciles))
	for _, f := range s.Failures {
		fmt.Fprintf(w, "failed: %s %s (%s): %s: %s\n", f.Entity, f.Key, f.OID, f.Rule, f.Reason)
	}
	for _, sh := range s.Shards {
		word := "not complete"
		if sh.Complete {
			word = "complete"
		}
		fmt.Fprintf(w, "shard %s: loaded %d, pending %d: %s\n", sh.Shard, sh.Loaded, sh.Pending, word)
	}
	if s.Complete {
		fmt.Fprintf(w, "%s: complete\n", s.Store)
		return nil
	}
	fmt.Fprintf(w, "%s: not complete; run the same kantamig run command again to continue\n", s.Store)
	return s.exit()
}

// shardsOf reads, for a sharded run, each shard's loaded and pending
// records and whether its worker finished.
func shardsOf(st state.Store) ([]shardState, error) {
	sh, ok := st.(state.Sharded)
	if !ok {
		return nil, nil
	}
	v, err := st.Setting("shards")
	if err != nil || v == "" {
		return nil, err
	}
	n, _ := strconv.Atoi(v)
	var out []shardState
	for i := 0; i < n; i++ {
		counts, err := sh.ShardCounts(i)
		if err != nil {
			return nil, err
		}
		s := shardState{Shard: fmt.Sprintf("%d/%d", i, n)}
		for _, c := range counts {
			s.Loaded, s.Pending = s.Loaded+c[state.Loaded], s.Pending+c[state.Pending]
		}
		done, _ := st.Setting(fmt.Sprintf("complete/%d", i))
		s.Complete = done == "yes" && s.Pending == 0
		out = append(out, s)
	}
	return out, nil
}
