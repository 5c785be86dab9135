package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/load/sign"
)

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "Usage: kantamig verify FILE|DIR ...") }
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	var files []string
	for _, arg := range fs.Args() {
		fi, err := os.Stat(arg)
		if err != nil {
			return fatal(stderr, err)
		}
		if !fi.IsDir() {
			files = append(files, arg)
			continue
		}
		found, err := filepath.Glob(filepath.Join(arg, "*.xml"))
		if err != nil {
			return fatal(stderr, err)
		}
		sort.Strings(found)
		files = append(files, found...)
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
	if failed > 0 || len(files) == 0 {
		return exitVerify
	}
	return exitOK
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
