// Command kantamig carries legacy social-welfare client records into the Kanta
// social welfare client data archive. This package only wires the stages
// together and turns errors into documented exit codes; see README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/state"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, documented in README.md.
const (
	exitOK          = 0
	exitFailure     = 1  // the run itself failed (I/O, a broken source, ...)
	exitUsage       = 2  // wrong command line
	exitMapping     = 3  // the mapping file is invalid
	exitRejects     = 4  // records were rejected and --fail-on-reject was given
	exitWrongPIN    = 5  // the token refused the PIN; nothing was signed
	exitToken       = 6  // the token or key is missing or failed; the run stopped
	exitVerify      = 7  // a document did not verify
	exitDelivery    = 8  // a document could not be delivered (the archive refused it, or the sink failed)
	exitState       = 9  // the state file is in use by another run, or belongs to another mapping
	exitIncomplete  = 10 // status: the run is not complete
	exitNoReport    = 11 // run: everything was delivered and recorded, but the report could not be written
	exitInterrupted = 130
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
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
		{"version", "print the version", func([]string, io.Writer, io.Writer) int { fmt.Println("kantamig", version); return exitOK }},
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
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

// fatal prints an error for the user and returns its exit code.
func fatal(stderr io.Writer, err error) int {
	var merr mapping.Errors
	if errors.As(err, &merr) {
		for _, e := range merr {
			fmt.Fprintln(stderr, e.Error())
		}
		fmt.Fprintf(stderr, "kantamig: the mapping file has %d problem(s); fix them and run 'kantamig check' again\n", len(merr))
		return exitMapping
	}
	if code, ok := tokenExit(err); ok {
		fmt.Fprintf(stderr, "kantamig: %v\n", err)
		var te *sign.TokenError
		if errors.As(err, &te) {
			fmt.Fprintln(stderr, "The run stopped after the signatures in flight settled; every document written is complete. Fix the token and run again.")
		}
		return code
	}
	var locked *state.ErrLocked
	var changed *pipeline.ErrMappingChanged
	var sinkChanged *pipeline.ErrSinkChanged
	var pkgLocked *sink.ErrPackageLocked
	var pkgOwned *sink.ErrPackageOwned
	if errors.As(err, &locked) || errors.As(err, &changed) || errors.As(err, &sinkChanged) || errors.As(err, &pkgLocked) || errors.As(err, &pkgOwned) {
		fmt.Fprintf(stderr, "kantamig: %v\n", err)
		return exitState
	}
	var realPersons *plan.ErrRealPersonsToTest
	if errors.As(err, &realPersons) {
		fmt.Fprintf(stderr, "kantamig: %v\n", err)
		return exitDelivery
	}
	var derr *deliver.DeliveryError
	if errors.As(err, &derr) {
		fmt.Fprintf(stderr, "kantamig: %v\nThe run stopped; every document before it was delivered and recorded.\n", err)
		return exitDelivery
	}
	var serr *pipeline.SourceError
	if errors.As(err, &serr) {
		fmt.Fprintf(stderr, "kantamig: %v\nNothing was delivered. Fix or re-export the source and run again; the report so far is incomplete.\n", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "kantamig: %s\n", strings.TrimSpace(err.Error()))
	return exitFailure
}
