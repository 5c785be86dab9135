package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// usageText is what `kantamig COMMAND -h` prints before and after the flags.
type usageText struct {
	synopsis string
	about    string
	examples []string
	// positional says the command takes arguments after its flags (paths).
	positional bool
}

var usages = map[string]usageText{
	"check": {synopsis: "check -m MAPPING [--offline] [--sosmeta DIR]",
		about:    "Validates a mapping file, and, unless --offline, that every column or field it names exists in its source.",
		examples: []string{"kantamig check -m mappings/sosiaalitoimi-classic.yaml", "kantamig check --offline -m mappings/kotihoito-lite.yaml"}},
	"dry-run": {synopsis: "dry-run -m MAPPING [--report FILE.xlsx] [--documents DIR] [--sign-with-token]",
		about:    "Extracts, maps and builds every document, signs them, delivers nothing, and writes the report (Excel and JSON).",
		examples: []string{"kantamig dry-run -m mappings/sosiaalitoimi-classic.yaml --report out/dry-run.xlsx"}},
	"run": {synopsis: "run -m MAPPING --state FILE|postgres: --sink dir:PATH|kanta:URL [--shard I/N] [flags]",
		about: "The migration: stages every record in the state store, then signs and delivers in order. Run the same command again to continue.",
		examples: []string{"kantamig run -m mappings/sosiaalitoimi-classic.yaml --state out/run.db --sink dir:out/package",
			"kantamig run -m MAPPING --state postgres: --sink kanta:https://archive.example --processing-code P --shard 0/4 --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem"}},
	"archive-sim": {synopsis: "archive-sim [--listen ADDR] [--store DIR] [--tls-dir DIR] [fault flags]",
		about:    "A local archive over mutual TLS whose judge checks every document's order and signature.",
		examples: []string{"kantamig archive-sim --listen 127.0.0.1:8443 --store out/archive-sim"}},
	"status": {synopsis: "status --state FILE|postgres:",
		about:    "Counts per entity and outcome, the reconciliation, failed deliveries and, for a sharded run, each shard. Exit 0 only when complete.",
		examples: []string{"kantamig status --state out/run.db", "KANTAMIG_STATE_DSN=... kantamig status --state postgres:"}},
	"report": {synopsis: "report --state FILE|postgres: [--report FILE.xlsx]",
		about:    "Writes a run's report (Excel and JSON) from its state store alone.",
		examples: []string{"kantamig report --state out/run.db --report out/run-report.xlsx"}},
	"verify": {synopsis: "verify [flags] FILE|DIR|PACKAGE ...", positional: true,
		about: "An archive package (a folder with manifest.jsonl) is checked whole: every signature, every manifest line\n" +
			"with its document and frame, every file listed once, frame and document ids, and the delivery order.\n" +
			"Any other folder is searched for .xml documents at any depth.",
		examples: []string{"kantamig verify out/package"}},
}

// parseFlags parses a command's flags the way Go tools do: -h or --help
// prints the synopsis, the flags and examples to stdout and ends with exit
// 0; an unknown flag or a stray argument is an error (exit 2), never
// ignored.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	u := usages[fs.Name()]
	errw := fs.Output()
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(fs, u, stdout)
		return exitWith(exitOK)
	}
	if err != nil { // the flag package has said what was wrong
		fmt.Fprintf(errw, "Run 'kantamig %s -h' for its flags.\n", fs.Name())
		return exitWith(exitUsage)
	}
	if !u.positional && fs.NArg() > 0 {
		return usageError("%s: unexpected argument %q (every option of this command is a flag; see 'kantamig %s -h')", fs.Name(), fs.Arg(0), fs.Name())
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") {
			return usageError("%s: %q after the paths: give flags before them (see 'kantamig %s -h')", fs.Name(), a, fs.Name())
		}
	}
	return nil
}

func printUsage(fs *flag.FlagSet, u usageText, w io.Writer) {
	fmt.Fprintf(w, "Usage: kantamig %s\n\n", u.synopsis)
	if u.about != "" {
		fmt.Fprintf(w, "%s\n\n", u.about)
	}
	fmt.Fprintln(w, "Flags:")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	if len(u.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range u.examples {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// reportFiles gives the Excel and JSON paths of a --report value: either may
// be named (FILE.xlsx or FILE.json), and the other goes beside it. Any other
// name gets both suffixes.
func reportFiles(p string) (xlsx, json string) {
	switch {
	case strings.HasSuffix(p, ".json"):
		return strings.TrimSuffix(p, ".json") + ".xlsx", p
	case strings.HasSuffix(p, ".xlsx"):
		return p, strings.TrimSuffix(p, ".xlsx") + ".json"
	}
	return p + ".xlsx", p + ".json"
}

// checkWritable refuses, before any work starts, a report that could not be
// written at the end: its folder must exist and take a file.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".kantamig-write-check-*")
	if err != nil {
		return usageError("the report cannot be written to %s: %v (choose another --report, or create the folder)", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
