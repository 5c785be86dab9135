package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/load/sign"
)

func verifyCommand(c *cli) *cobra.Command {
	cmd := newCommand("verify")
	var jf judgeFlags
	jf.register(cmd.Flags(), "verify")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout := c.stdout
		if len(args) == 0 {
			return usageError("verify: give the files, folders or packages to check (see 'kantamig verify -h')")
		}
		cfg, err := jf.config(true)
		if err != nil {
			return err
		}
		inspector, err := archive.NewInspector(cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "checking codes against %s; signing certificates %s\n", judgedCodes(jf), judgedChains(jf))
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
			found, pkgs, err := documentsUnder(arg)
			if err != nil {
				return err
			}
			files = append(files, found...)
			packages = append(packages, pkgs...)
		}
		problems := 0
		for _, pkg := range packages {
			res, err := archive.JudgePackage(pkg, cfg)
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
			line, ok := verifyFile(f, inspector)
			if !ok || !c.quiet {
				fmt.Fprintln(stdout, line)
			}
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

// verifyFile checks every signature of one document, and the document as
// the archive would judge it (with its frame, when a dry-run wrote one
// beside it), and describes the result in one line.
func verifyFile(path string, in *archive.Inspector) (string, bool) {
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
	var frame []byte
	framePath := filepath.Join(filepath.Dir(path), "frames", strings.TrimSuffix(filepath.Base(path), ".xml")+".frame.xml")
	if f, err := os.ReadFile(framePath); err == nil {
		frame = f
	}
	if ins := in.Inspect(data, frame); ins.Refused() && ok {
		ok = false
		parts = append(parts, ins.Problems...)
	}
	status := "OK  "
	if !ok {
		status = "FAIL"
	}
	return fmt.Sprintf("%s %s: %s", status, path, strings.Join(parts, "; ")), ok
}

// documentsUnder walks a folder for what verify checks: every archive
// package in it (a folder with manifest.jsonl) is checked as a package, and
// not walked into; every other document is checked on its own. Frames are
// never documents: a dry-run's frames/ folder, a *.frame.xml file (a
// document is checked inside its package, or on its own beside its frame).
func documentsUnder(dir string) (files, packages []string, err error) {
	err = filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(path, "manifest.jsonl")); err == nil {
				packages = append(packages, path)
				return filepath.SkipDir
			}
			if e.Name() == "frames" && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if filepath.Ext(path) == ".xml" && !strings.HasSuffix(path, ".frame.xml") {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	sort.Strings(packages)
	return files, packages, err
}
