package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/eventlog"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/mappingtest"
	"github.com/kantamig/kantamig/pipeline"
)

func checkCommand(c *cli) *cobra.Command {
	cmd := newCommand("check")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML)")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas, a newer national export than the one built in (env KANTAMIG_SOSMETA; default: the schemas built into kantamig)")
	offline := fs.Bool("offline", false, "check the mapping file only, without opening its sources")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout, stderr := c.stdout, c.stderr
		if *file == "" {
			fmt.Fprintln(stderr, "kantamig check: give the mapping file with -m FILE")
			return exitWith(exitUsage)
		}
		m, _, err := pipeline.Load(*file, *sosmeta)
		if err != nil {
			return err
		}
		if !*offline {
			problems, warnings := mapping.CheckSources(context.Background(), m)
			for _, w := range warnings {
				c.log.Warn("source-warning", fmt.Sprint(w))
			}
			if len(problems) > 0 {
				return problems
			}
		}
		var from []string
		for _, k := range entity.Kinds {
			if blocks := m.Of(k.Entity); len(blocks) > 0 {
				from = append(from, k.Label+" from "+strings.Join(mapping.SourceNames(blocks), ", "))
			}
		}
		placeholderNotes(c.log, m.Placeholders, c.verbose)
		rehearsal := ""
		if m.TestRehearsal {
			rehearsal = fmt.Sprintf("; TEST REHEARSAL: %d placeholder code(s) named, documents carrying one are counted in the report and may not go to the real archive", len(m.Placeholders))
		}
		fmt.Fprintf(stdout, "%s: ok (%s; %s; cut-off %s%s)\n", *file, m.System, strings.Join(from, ", "), m.Cutoff.Format("2006-01-02"), rehearsal)
		if _, err := os.Stat(mappingtest.PathFor(*file)); err == nil {
			return runMappingTests(stdout, *file, *sosmeta)
		}
		return nil
	}
	return cmd
}

// placeholderNotes says which placeholder codes a test rehearsal's mapping
// names: one line per code set, with its codes, or (verbose) one per place
// in the mapping.
func placeholderNotes(log *eventlog.Log, notes []*mapping.Error, verbose bool) {
	if verbose {
		for _, p := range notes {
			log.Info("placeholder-code", fmt.Sprintf("note: %v", p), "code_set", p.Set, "code", p.Code)
		}
		return
	}
	var sets []string
	codes := map[string][]string{}
	for _, p := range notes {
		if _, ok := codes[p.Set]; !ok {
			sets = append(sets, p.Set)
		}
		if !slices.Contains(codes[p.Set], p.Code) {
			codes[p.Set] = append(codes[p.Set], p.Code)
		}
	}
	for _, set := range sets {
		log.Info("placeholder-codes", fmt.Sprintf("note: code set %s: %d placeholder code(s) named (%s): allowed by test_rehearsal, counted in the report; --verbose says where each stands",
			set, len(codes[set]), strings.Join(codes[set], ", ")), "code_set", set, "codes", codes[set])
	}
}
