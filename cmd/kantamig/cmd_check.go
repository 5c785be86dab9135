package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"os"

	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
)

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("m", "", "mapping file (YAML)")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas, a newer national export than the one built in (env KANTAMIG_SOSMETA; default: the schemas built into kantamig)")
	offline := fs.Bool("offline", false, "check the mapping file only, without opening its sources")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
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
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
		if len(problems) > 0 {
			return problems
		}
	}
	var from []string
	for _, k := range mapping.Kinds {
		if blocks := m.Of(k.Entity); len(blocks) > 0 {
			from = append(from, k.Label+" from "+strings.Join(mapping.SourceNames(blocks), ", "))
		}
	}
	fmt.Fprintf(stdout, "%s: ok (%s; %s; cut-off %s)\n", *file, m.System, strings.Join(from, ", "), m.Cutoff.Format("2006-01-02"))
	return nil
}
