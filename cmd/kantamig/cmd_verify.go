package main

import (
	"fmt"
	"github.com/spf13/cobra"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/load/sign"
)

func verifyCommand(c *cli) *cobra.Command {
	cmd := newCommand("verify")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout := c.stdout
		if len(args) == 0 {
			return usageError("verify: give the files, folders or packages to check (see 'kantamig verify -h')")
		}
		var files, packages []string
		for _, arg := range args {
			fi, err := os.Stat(arg)
			if err != nil {
				return err
			}
			if !fi.IsDir() {
				files = append(files, arg)
				continue
			}
			if _, err := os.Stat(filepath.Join(arg, "manifest.jsonl")); err == nil {
				packages = append(packages, arg)
				continue
			}
			var found []string
			err = filepath.WalkDir(arg, func(path string, e os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				// A frame (*.frame.xml, beside a dry-run's documents) carries a
				// document that is checked on its own.
				if !e.IsDir() && filepath.Ext(path) == ".xml" && !strings.HasSuffix(path, ".frame.xml") {
					found = append(found, path)
				}
				return nil
			})
			if err != nil {
				return err
			}
			sort.Strings(found)
			files = append(files, found...)
		}
		problems := 0
		for _, pkg := range packages {
			res, err := archive.JudgePackage(pkg)
			if err != nil {
				return fmt.Errorf("reading the archive package %s: %w", pkg, err)
			}
			for _, p := range res.Problems {
				fmt.Fprintf(stdout, "FAIL %s: %s\n", pkg, p)
			}
			fmt.Fprintf(stdout, "package %s: %d document(s) accepted in order with their frames, %d problem(s)\n", pkg, res.Documents, len(res.Problems))
			problems += len(res.Problems)
			if res.Documents == 0 {
				problems++
			}
		}
		if len(files) == 0 && len(packages) > 0 {
			if problems > 0 {
				return exitWith(exitVerify)
			}
			return nil
		}
		failed := 0
		for _, f := range files {
			line, ok := verifyFile(f)
			fmt.Fprintln(stdout, line)
			if !ok {
				failed++
			}
		}
		fmt.Fprintf(stdout, "%d document(s) checked, %d failed\n", len(files), failed)
		if failed > 0 || len(files) == 0 || problems > 0 {
			return exitWith(exitVerify)
		}
		return nil
	}
	return cmd
}

// verifyFile checks every signature of one document and describes the result in one line.
func verifyFile(path string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("FAIL %s: %v", path, err), false
	}
	results, err := sign.Verify(data)
	if err != nil {
		return fmt.Sprintf("FAIL %s: %v", path, err), false
	}
	var parts []string
	ok := true
	for _, r := range results {
		if r.Err != nil {
			ok = false
			parts = append(parts, fmt.Sprintf("signature %s: %v", r.ID, r.Err))
			continue
		}
		parts = append(parts, fmt.Sprintf("signature %s type %s at %s by %s", r.ID, r.Type, r.Timestamp, r.Subject))
	}
	status := "OK  "
	if !ok {
		status = "FAIL"
	}
	return fmt.Sprintf("%s %s: %s", status, path, strings.Join(parts, "; ")), ok
}
