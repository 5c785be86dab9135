// Command kantamig carries legacy social-welfare client records into the Kanta
// social welfare client data archive. This package only wires the stages
// together and turns errors into documented exit codes; see README.md.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"check", "validate a mapping file", runCheck},
		{"dry-run", "extract, map and transform everything, deliver nothing, write the report", runDryRun},
		{"run", "the migration: stage, sign and deliver in order; run again to continue", runRun},
		{"archive-sim", "a local archive that speaks kantamig's archive protocol, for tests and trials", runArchiveSim},
		{"status", "where a run stands, and its reconciliation", runStatus},
		{"report", "write a run's report from its state file, at any time", runReport},
		{"verify", "check every signature of archive documents (files or folders)", runVerify},
		{"version", "print the version", func(_ []string, stdout, _ io.Writer) error { fmt.Fprintln(stdout, "kantamig", version); return nil }},
	}
}

func main() {
	if path := os.Getenv("KANTAMIG_CPUPROFILE"); path != "" { // for measuring, see make bench
		if stop, err := startCPUProfile(path); err == nil {
			code := run(os.Args[1:], os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return fatal(stderr, c.run(args[1:], stdout, stderr))
		}
	}
	fmt.Fprintf(stderr, "kantamig: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: kantamig COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kantamig COMMAND -h' for a command's flags. Exit codes are listed in README.md.")
}
