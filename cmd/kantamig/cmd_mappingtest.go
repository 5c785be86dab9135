package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/mappingtest"
)

func testCommand(c *cli) *cobra.Command {
	cmd := newCommand("test")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML); its tests are MAPPING.test.yaml beside it")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas, a newer national export than the one built in (env KANTAMIG_SOSMETA)")
	cmd.RunE = func(_ *cobra.Command, _ []string) error {
		if *file == "" {
			return usageError("test: give the mapping file with -m FILE")
		}
		if _, err := os.Stat(mappingtest.PathFor(*file)); err != nil {
			return usageError("test: %s has no tests: write them in %s (docs/mapping.md, \"Mapping tests\")", *file, mappingtest.PathFor(*file))
		}
		return runMappingTests(c.stdout, *file, *sosmeta)
	}
	return cmd
}

// runMappingTests runs a mapping's tests and prints each case's differences;
// a failing case ends with the mapping's exit code.
func runMappingTests(w io.Writer, file, sosmeta string) error {
	results, err := mappingtest.Run(context.Background(), file, sosmeta)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if len(r.Differences) == 0 {
			fmt.Fprintf(w, "ok   %s\n", r.Case)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s\n", r.Case)
		for _, d := range r.Differences {
			fmt.Fprintf(w, "     %s\n", d)
		}
	}
	fmt.Fprintf(w, "%s: %d passed, %d failed\n", mappingtest.PathFor(file), len(results)-failed, failed)
	if failed > 0 {
		return &codeError{code: exitMapping, msg: fmt.Sprintf("%d mapping test case(s) failed: the mapping does not do what its tests say (or the tests are out of date)", failed)}
	}
	return nil
}
