package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
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
	"codes": {synopsis: "codes -m MAPPING [--sosmeta DIR]",
		about: "Lists every code set a run of the mapping carries: its OID, version, where its values come from (built in\n" +
			"and confirmed, or a national export the mapping loads), how many of its codes are national and how many are\n" +
			"placeholders, which placeholders the mapping itself names, and for each set not ready what to fetch from the\n" +
			"national code server. The path from a test rehearsal to a migration.",
		examples: []string{"kantamig codes -m mappings/sosiaalitoimi-classic.yaml"}},
	"explain": {synopsis: "explain KEY | explain --type CODE [--sosmeta DIR]", positional: true,
		about: "Says what a key of the mapping file means (from the mapping's JSON Schema, docs/mapping.schema.json): a dotted path\n" +
			"(clients.fields.family_name), or its last parts (family_name), or '' for the top-level keys. With --type, lists the\n" +
			"structured: paths the Sosmeta schema of a specific document type has.",
		examples: []string{"kantamig explain family_name", "kantamig explain sources.NAME.kind", "kantamig explain --type 10001"}},
	"check": {synopsis: "check -m MAPPING [--offline] [--sosmeta DIR]",
		about:    "Validates a mapping file, and, unless --offline, that every column or field it names exists in its source.",
		examples: []string{"kantamig check -m mappings/sosiaalitoimi-classic.yaml", "kantamig check --offline -m mappings/kotihoito-lite.yaml"}},
	"profile": {synopsis: "profile [flags] (-m MAPPING | FILE...)", positional: true,
		about: "Reads every record of the sources once and writes a workbook (and JSON) with a row per column: fill rate, distinct\n" +
			"values, the most frequent values, numbers, dates and their formats, lengths, characters XML forbids, encoding problems,\n" +
			"identity codes by their checks (never shown), and for a column the mapping reads through a value map, the values it does\n" +
			"not cover yet. Values seen fewer than --min-count times are never listed, nor are names, contact data or free text, so\n" +
			"the profile can be shared. Each sheet of a workbook is a source; a hierarchical XML export is one source per\n" +
			"--xml-record path. Without a mapping, --init writes a first mapping skeleton from the column names.",
		examples: []string{"kantamig profile -m mappings/sosiaalitoimi-classic.yaml --report out/profile.xlsx",
			"kantamig profile --init out/new-mapping.yaml samples/legacy/asiakkaat.csv samples/legacy/asiat.xlsx samples/legacy/asiakirjat.xml",
			"kantamig profile --init out/new.yaml --xml-record /vienti/asiakas --xml-record /vienti/asiakas/asia vienti.xml"}},
	"test": {synopsis: "test -m MAPPING [--sosmeta DIR]",
		about: "Runs the mapping's tests, MAPPING.test.yaml beside it: each case a small set of records per source and what must\n" +
			"become of each (loads, rejected or skipped under a rule; texts of its display form; values of its structured form),\n" +
			"run as a whole dry-run of those records, without the real sources. Prints a difference per failing expectation.",
		examples: []string{"kantamig test -m mappings/sosiaalitoimi-classic.yaml"}},
	"dry-run": {synopsis: "dry-run -m MAPPING [--report FILE.xlsx] [--lang fi|en] [--documents DIR] [--sign-with-token]",
		about:    "Extracts, maps and builds every document, signs them, delivers nothing, and writes the report (Excel and JSON).",
		examples: []string{"kantamig dry-run -m mappings/sosiaalitoimi-classic.yaml --report out/dry-run.xlsx"}},
	"run": {synopsis: "run -m MAPPING --state FILE|postgres: --sink dir:PATH|kanta:URL [--shard I/N] [flags]",
		about: "The migration: stages every record in the state store, then signs and delivers in order. Run the same command again to continue.",
		examples: []string{"kantamig run -m mappings/sosiaalitoimi-classic.yaml --state out/run.db --sink dir:out/package",
			"kantamig run -m MAPPING --state postgres: --sink kanta:https://archive.example --processing-code P --shard 0/4 --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem"}},
	"archive-sim": {synopsis: "archive-sim [--listen ADDR] [--store DIR] [--tls-dir DIR] [-m MAPPING] [--trust-anchor CA.pem] [fault flags]",
		about: "A local archive over mutual TLS whose judge checks every document as the archive would (the Finnish header,\n" +
			"every code against the run's code sets, the structured form against its schema, header, form and frame\n" +
			"agreeing, the signer and its certificate) and the order of arrival.",
		examples: []string{"kantamig archive-sim --listen 127.0.0.1:8443 --store out/archive-sim -m mappings/sosiaalitoimi-classic.yaml --trust-anchor out/token/ca/ca.pem"}},
	"status": {synopsis: "status --state FILE|postgres:",
		about:    "Counts per entity and outcome, the reconciliation, failed deliveries and, for a sharded run, each shard. Exit 0 only when complete.",
		examples: []string{"kantamig status --state out/run.db", "KANTAMIG_STATE_DSN=... kantamig status --state postgres:"}},
	"report": {synopsis: "report --state FILE|postgres: [--report FILE.xlsx] [--lang fi|en]",
		about:    "Writes a run's report (Excel and JSON) from its state store alone.",
		examples: []string{"kantamig report --state out/run.db --report out/run-report.xlsx"}},
	"validate": {synopsis: "validate --url URL [--kind K] [--type N] [--max N] [--report FILE.xlsx] [--lang fi|en] PACKAGE|DOCUMENTS", positional: true,
		about: "Sends a sample of signed documents, each with its frame, to the archive's test validation service (SHARK validation) and\n" +
			"reports each answer. A document naming a person outside the identity-code test range 900–999 is not sent.\n" +
			"PACKAGE is a run's archive package; DOCUMENTS a dry-run's --documents folder. Exit 0 when every document\n" +
			"sent is valid, 7 when one is invalid or was not sent, 1 when the service failed to answer.",
		examples: []string{"kantamig validate --url https://127.0.0.1:8443/shark-validointi/validoi/asiakirja/tulos --tls-ca out/archive-sim-tls/ca.pem --tls-cert out/archive-sim-tls/client.pem --tls-key out/archive-sim-tls/client-key.pem out/package",
			"kantamig validate --url http://VALIDATOR/shark-validointi/validoi/asiakirja/tulos --kind client-document --type 15 --max 20 out/documents"}},
	"verify": {synopsis: "verify [flags] FILE|DIR|PACKAGE ...", positional: true,
		about: "Judges every document as the archive would. An archive package (a folder with manifest.jsonl) is checked whole:\n" +
			"every manifest line with its document and frame, every file listed once, each document with its frame, and the\n" +
			"delivery order. Any other folder is searched at any depth for packages and documents; frames are never taken for\n" +
			"documents. -m MAPPING holds codes to the run's code sets; --trust-anchor and --organisation hold the signers.",
		examples: []string{"kantamig verify out", "kantamig verify -m mappings/sosiaalitoimi-classic.yaml --trust-anchor out/token/ca/ca.pem --organisation 1.2.246.10.99999991.10.0 out/package"}},
}

// newCommand makes a command from its usage text. Its flags are GNU style
// (--state; -m and -h short), parsed by cobra: -h or --help prints the
// synopsis, the flags and examples to stdout and ends with exit 0; an
// unknown flag or a stray argument is an error (exit 2), never ignored.
func newCommand(name string) *cobra.Command {
	u := usages[name]
	cmd := &cobra.Command{Use: name, Long: u.about, Example: strings.Join(u.examples, "\n")}
	if !u.positional {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("%s: unexpected argument %q (every option of this command is a flag; see 'kantamig %s -h')", name, args[0], name)
			}
			return nil
		}
		return cmd
	}
	// Flags may stand before or after the paths (profile FILE --init NEW.yaml);
	// a path that starts with "-" is given after "--".
	return cmd
}

// printUsage is every command's help: synopsis, what it does, its flags and examples.
func printUsage(cmd *cobra.Command, w io.Writer) {
	u := usages[cmd.Name()]
	synopsis := u.synopsis
	if synopsis == "" {
		synopsis = cmd.Name()
	}
	fmt.Fprintf(w, "Usage: kantamig %s\n\n", synopsis)
	if u.about != "" {
		fmt.Fprintf(w, "%s\n\n", u.about)
	}
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, cmd.Flags().FlagUsages())
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
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return usageError("the report cannot be written to %s: %v (choose another --report)", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".kantamig-write-check-*")
	if err != nil {
		return usageError("the report cannot be written to %s: %v (choose another --report, or create the folder)", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// completeFlags tells the shell completion what each flag takes, by the
// flag's name, wherever a command has it: files of the right kind, folders,
// or the choices of a flag that has them.
func completeFlags(cmd *cobra.Command) {
	files := map[string][]string{
		"mapping": {"yaml", "yml"}, "state": {"db"}, "report": {"xlsx", "json"},
		"tls-ca": {"pem", "crt"}, "tls-cert": {"pem", "crt"}, "tls-key": {"pem", "key"}, "pkcs11-module": {"so"},
	}
	fs := cmd.Flags()
	for name, exts := range files {
		if fs.Lookup(name) != nil {
			cmd.MarkFlagFilename(name, exts...)
		}
	}
	for _, name := range []string{"sosmeta", "documents", "store", "tls-dir"} {
		if fs.Lookup(name) != nil {
			cmd.MarkFlagDirname(name)
		}
	}
	choices := map[string][]cobra.Completion{
		"processing-code": {"P\tproduction", "D\tdebugging (test persons only)", "T\ttraining (test persons only)"},
	}
	for name, c := range choices {
		if fs.Lookup(name) != nil {
			cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(c, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	if fs.Lookup("sink") != nil {
		cmd.RegisterFlagCompletionFunc("sink", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var forms []cobra.Completion // from the registry: every sink this build knows
			for _, f := range sink.Forms() {
				forms = append(forms, f[0]+"\t"+f[1])
			}
			return forms, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// repeatCommand is the command line that does again what this one did: every
// flag the user gave, in the order of the help, with set (a flag whose
// default was taken) made explicit. Secrets are never flags (the PIN and the
// connection strings come from the environment or a prompt), so none is
// repeated here.
func repeatCommand(cmd *cobra.Command, set, value string) string {
	parts := []string{"kantamig", cmd.Name()}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Changed || f.Name == set {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand
		}
		if f.Value.Type() == "bool" {
			parts = append(parts, name)
			return
		}
		parts = append(parts, name, shellQuote(f.Value.String()))
	})
	if set != "" {
		parts = append(parts, "--"+set, shellQuote(value))
	}
	return strings.Join(parts, " ")
}

// shellQuote makes a value safe to paste into a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// langFlag is --lang, the language of a command's workbook: Finnish by
// default, for the people who read the reports (project managers and
// archivists of Finnish wellbeing services counties); English for the
// engineers. The JSON report's field names are English either way.
func langFlag(fs *pflag.FlagSet) *string {
	v := langValue(report.Finnish)
	fs.Var(&v, "lang", "language of the workbook: fi (Finnish, the default) or en (English); the JSON report is the same in both")
	return (*string)(&v)
}

// langValue is --lang, refused when it is no language a workbook is
// written in.
type langValue string

func (l *langValue) String() string { return string(*l) }
func (l *langValue) Type() string   { return "fi|en" }
func (l *langValue) Set(s string) error {
	if !slices.Contains(report.Languages, s) {
		return fmt.Errorf("give fi or en")
	}
	*l = langValue(s)
	return nil
}
