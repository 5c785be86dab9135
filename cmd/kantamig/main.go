// Command kantamig carries legacy social-welfare client records into the Kanta
// social welfare client data archive. This package only wires the stages
// together and turns errors into documented exit codes; see README.md.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kantamig/kantamig/eventlog"
)

// version is set at build time with -ldflags "-X main.version=..." (make
// build and make dist stamp the git description); otherwise it is the
// module version Go recorded (go install ...@v1.2.3, or a go build in a git
// checkout, which Go stamps with a pseudo-version), else "dev" with the
// commit Go recorded, if any.
var version string

func init() {
	if version == "" {
		version = devVersion()
	}
}

func devVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "dev"
	}
	return "dev (" + rev + dirty + ")"
}

// cli is what every command writes to, and the command line as given (for
// the reports' record of what was run).
type cli struct {
	stdout, stderr io.Writer
	args           []string
	// The log every command writes its events to (--log-format, -q, -v;
	// package eventlog), made once the flags are parsed.
	logFormat      string
	quiet, verbose bool
	log            *eventlog.Log
}

// verbosity is -q or -v as eventlog takes it.
func (c *cli) verbosity() int {
	switch {
	case c.quiet:
		return eventlog.Quiet
	case c.verbose:
		return eventlog.Verbose
	}
	return eventlog.Normal
}

type command struct {
	name    string
	summary string
	build   func(*cli) *cobra.Command
}

func commands() []command {
	return []command{
		{"check", "validate a mapping file", checkCommand},
		{"profile", "what the sources hold, column by column: a workbook to write a mapping from, safe to share", profileCommand},
		{"test", "run a mapping's tests (MAPPING.test.yaml): records and what must become of them", testCommand},
		{"dry-run", "extract, map and transform everything, deliver nothing, write the report", dryRunCommand},
		{"run", "the migration: stage, sign and deliver in order; run again to continue", runCommand},
		{"archive-sim", "a local archive that speaks kantamig's archive protocol, for tests and trials", archiveSimCommand},
		{"status", "where a run stands, and its reconciliation", statusCommand},
		{"report", "write a run's report from its state file, at any time", reportCommand},
		{"verify", "check every signature of archive documents, folders or whole packages", verifyCommand},
		{"validate", "send a sample of documents to the archive's test validation service", validateCommand},
		{"explain", "what a mapping key means; the structured: paths of a document type", explainCommand},
		{"codes", "every code set a mapping's run carries, and which national exports to fetch before a real migration", codesCommand},
		{"version", "print the version", versionCommand},
	}
}

// defaultMemoryLimit is the Go runtime's soft ceiling when GOMEMLIMIT is
// unset: four times the most a run was measured to keep live (about 25 MiB,
// see README, Performance) with room over it, so that a short run's peak
// and a long run's are the same: a 100k-document run's heap reached about
// 110 MiB under GOGC 300 and stays under it, a 1M run's grew to the
// ceiling, which at 160 MiB left its peak 16% above.
const defaultMemoryLimit = 128 << 20

// releaseHeadroom ends the memory policy of delivery when the account
// begins: the report's data (every reject and skip, the counts) would
// otherwise ride on GOGC 300's headroom, three times whatever they keep
// live, and a long run peaked there (README, Performance). The collector
// goes back to its default, unless GOGC says otherwise, and the memory
// delivery left free is returned to the system.
func releaseHeadroom() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	debug.FreeOSMemory()
}

func main() {
	// The heap a run keeps is small and flat (tens of MiB, see make bench), and
	// what it allocates per document is short-lived: collecting at three times
	// the live heap rather than twice halves the collector's share of a run's
	// CPU. GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	// A soft ceiling on the Go heap, so that the headroom GOGC 300 gives
	// does not grow with whatever a long run keeps live: under it the
	// collector works as GOGC says, near it more often. GOMEMLIMIT in the
	// environment still decides.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if path := os.Getenv("KANTAMIG_MEMPROFILE"); path != "" { // for measuring memory
		startHeapProfiles(path, 20*time.Second)
	}
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
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
	case "-version", "--version":
		args = []string{"version"}
	}
	c := &cli{stdout: stdout, stderr: stderr, args: args}
	root := rootCommand(c)
	known := []string{"help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd}
	for _, c := range root.Commands() {
		known = append(known, c.Name())
	}
	if !slices.Contains(known, args[0]) {
		fmt.Fprintf(stderr, "kantamig: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	root.SetArgs(args)
	return fatal(c, root.Execute())
}

// rootCommand is the command tree: cobra parses the flags (GNU style:
// --state, with -m and -h as the short ones), and generates the shell
// completion scripts (kantamig completion bash|zsh).
func rootCommand(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:           "kantamig",
		Short:         "carries legacy social-welfare client records into the Kanta archive",
		SilenceErrors: true, // fatal prints errors, with their exit codes
		SilenceUsage:  true,
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&c.logFormat, "log-format", eventlog.Text, "how events are written to stderr: text (a line each, date, time and zone first) or json (an object a line; docs/events.md)")
	pf.BoolVarP(&c.quiet, "quiet", "q", false, "write only warnings, errors and results: no progress (verify: only the documents that fail)")
	pf.BoolVarP(&c.verbose, "verbose", "v", false, "write every document refused or held back and every reconnection too (check: every placeholder code where it is named)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if c.quiet && c.verbose {
			return usageError("-q and -v together: give one")
		}
		w := c.stderr
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && c.logFormat != eventlog.JSON {
			w = clearingWriter{f} // a line of the log starts where a progress bar was
		}
		log, err := eventlog.New(w, c.logFormat, c.verbosity())
		if err != nil {
			return usageError("%v", err)
		}
		c.log = log
		return nil
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%s: %v\nRun 'kantamig %s -h' for its flags.", cmd.Name(), err, cmd.Name())
	})
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd == root {
			usage(cmd.OutOrStdout())
			return
		}
		printUsage(cmd, cmd.OutOrStdout())
	})
	root.CompletionOptions.HiddenDefaultCmd = true
	for _, k := range commands() {
		cmd := k.build(c)
		cmd.Short = k.summary
		completeFlags(cmd)
		root.AddCommand(cmd)
	}
	return root
}

func versionCommand(c *cli) *cobra.Command {
	cmd := newCommand("version")
	cmd.RunE = func(*cobra.Command, []string) error {
		fmt.Fprintln(c.stdout, "kantamig", version)
		return nil
	}
	return cmd
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: kantamig COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-11s %s\n", "completion", "print the shell completion script: kantamig completion bash|zsh")
	fmt.Fprintln(w, "\nRun 'kantamig COMMAND -h' for a command's flags. Exit codes are listed in README.md.")
}

// commandLine is the command as given, for the reports' record of what was run.
func (c *cli) commandLine() string { return "kantamig " + strings.Join(c.args, " ") }

// clearingWriter clears the terminal's current line before each write, so
// that an event written while a progress bar is drawn replaces the bar
// (which draws itself again below) rather than running on after it.
type clearingWriter struct{ f *os.File }

func (w clearingWriter) Write(p []byte) (int, error) {
	if _, err := w.f.WriteString("\r\x1b[K"); err != nil {
		return 0, err
	}
	return w.f.Write(p)
}
