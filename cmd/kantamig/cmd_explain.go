package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
)

func explainCommand(c *cli) *cobra.Command {
	cmd := newCommand("explain")
	typeCode := cmd.Flags().String("type", "", "a specific document type's code: list the structured: paths its Sosmeta schema has")
	sosmeta := cmd.Flags().String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas (env KANTAMIG_SOSMETA; default: the ones built in)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if *typeCode != "" {
			if len(args) > 0 {
				return usageError("explain: give a key or --type, not both")
			}
			schemas, err := pipeline.Schemas(*sosmeta)
			if err != nil {
				return err
			}
			name, paths, err := schemas.PathsOf(*typeCode)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "document type %s (%s): %d structured: paths\n", *typeCode, name, len(paths))
			for _, p := range paths {
				fmt.Fprintln(c.stdout, "  "+p)
			}
			return nil
		}
		if len(args) != 1 {
			return usageError("explain: give one key (e.g. family_name, or clients.fields.family_name), '' for the top-level keys, or --type CODE")
		}
		text, err := mapping.Explain(args[0])
		if err != nil {
			return err
		}
		fmt.Fprint(c.stdout, strings.TrimRight(text, "\n")+"\n")
		return nil
	}
	return cmd
}
