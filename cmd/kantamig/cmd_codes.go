package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/pipeline"
)

func codesCommand(c *cli) *cobra.Command {
	cmd := newCommand("codes")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML)")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas (env KANTAMIG_SOSMETA; default: built in)")
	cmd.RunE = func(*cobra.Command, []string) error {
		if *file == "" {
			return usageError("codes: give the mapping with -m")
		}
		m, _, err := pipeline.LoadWithoutSources(*file, *sosmeta)
		if err != nil {
			return err
		}
		var fetch []string
		for _, u := range m.CodeUse() {
			mark := "ready"
			if u.Fetch != "" {
				mark = "FETCH"
				fetch = append(fetch, u.Name)
			}
			fmt.Fprintf(c.stdout, "%-5s %s\n", mark, u)
			if u.Fetch != "" {
				fmt.Fprintf(c.stdout, "      fetch %s\n", u.Fetch)
			}
		}
		switch {
		case len(fetch) == 0:
			fmt.Fprintln(c.stdout, "every code set is national with its version known: nothing to fetch")
		case m.TestRehearsal:
			fmt.Fprintf(c.stdout, "%d code set(s) to fetch before this test rehearsal can be a migration: %s; then remove test_rehearsal from the mapping and run check\n", len(fetch), strings.Join(fetch, ", "))
		default:
			fmt.Fprintf(c.stdout, "%d code set(s) whose version is not known: %s; a document naming one of their codes is refused until its export is loaded\n", len(fetch), strings.Join(fetch, ", "))
		}
		return nil
	}
	return cmd
}
