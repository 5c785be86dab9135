package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/report"
)

func dryRunCommand(c *cli) *cobra.Command {
	cmd := newCommand("dry-run")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML)")
	reportPath := fs.String("report", "out/dry-run.xlsx", "report to write: FILE.xlsx (Excel) with the JSON report beside it, or FILE.json with the Excel beside it")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas, a newer national export than the one built in (env KANTAMIG_SOSMETA; default: the schemas built into kantamig)")
	docs := fs.String("documents", "", "also write every generated document into this folder")
	showPersonal := fs.Bool("show-personal-data", false, "show identity codes and names unmasked in the report")
	lang := langFlag(fs)
	failOnReject := fs.Bool("fail-on-reject", false, "exit with code 4 if any record was rejected")
	maxDoc := fs.Int("max-document-bytes", pipeline.DefaultMaxDocumentBytes, "reject, at staging, a document of any kind larger than this many bytes (the reason gives its size); a record holding more text than this is refused before its document is built")
	maxMessage := fs.Int("max-message-bytes", pipeline.DefaultMaxMessageBytes, "reject, at staging, a document whose message frame (signed, in Base64) could be larger than this many bytes")
	sample := fs.String("sample", "", "a deterministic sample of clients, each with all its cases and documents: a number of clients (500) or a share (5%); the report says it is a sample")
	withToken := fs.Bool("sign-with-token", false, "sign with the organisation's key on the token instead of a throwaway key (a rehearsal of the token)")
	var tf tokenFlags
	tf.register(fs)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout, stderr := c.stdout, c.stderr
		if *file == "" {
			fmt.Fprintln(stderr, "kantamig dry-run: give the mapping file with -m FILE")
			return exitWith(exitUsage)
		}
		xlsxPath, jsonPath := reportFiles(*reportPath)
		if err := os.MkdirAll(filepath.Dir(xlsxPath), 0o755); err != nil {
			return usageError("the report's folder cannot be made: %v", err)
		}
		if err := checkWritable(xlsxPath); err != nil {
			return err
		}
		var smp pipeline.Sample
		if *sample != "" {
			var err error
			if smp, err = pipeline.ParseSample(*sample); err != nil {
				return usageError("%v", err)
			}
		}
		m, schemas, err := pipeline.Load(*file, *sosmeta)
		if err != nil {
			return err
		}
		opts := pipeline.Options{Sample: smp, BeforeAccount: releaseHeadroom,
			SchemaDir: *sosmeta, ShowPersonal: *showPersonal, MaxDocumentBytes: *maxDoc, MaxMessageBytes: *maxMessage, DocumentsDir: *docs, Workers: tf.workers,
			Version: version, Command: c.commandLine(), Progress: newProgress(c), Language: *lang,
			// Beside the report: the index holds identity codes in clear while the
			// dry-run works, and is removed on every exit (or at the next start, after kill -9).
			WorkDir: filepath.Join(filepath.Dir(*reportPath), ".kantamig-work"),
		}
		if *withToken {
			tok, signer, err := tf.open(stderr)
			if err != nil {
				return err
			}
			defer tok.Close()
			foreign, err := tf.checkCertificate(tok, m.Custodian.OID, c.log)
			if err != nil {
				return err
			}
			opts.Signer, opts.SignerName = signer, fmt.Sprintf("token %s%s, key %s%s (%s)%s", tf.cfg.TokenLabel, tf.cfg.TokenSerial, tf.cfg.KeyLabel, tf.cfg.KeyID, tok.Cert.Subject, foreign)
		}
		runner, err := pipeline.Prepare(m, schemas, opts)
		if err != nil {
			return err
		}
		defer runner.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		rep, err := runner.DryRun(ctx)
		if rep != nil {
			defer rep.Close() // its file of the warnings beyond the listed ones
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "kantamig: interrupted; nothing was delivered (a dry-run never delivers). Run it again to get a full report.")
			return exitWith(exitInterrupted)
		}
		if err != nil {
			return err
		}
		if err := rep.WriteExcel(xlsxPath); err != nil {
			return err
		}
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
		t := rep.Total
		fmt.Fprintf(stdout, "%s (%s)\n", t.Equation(), reconciled(rep.Reconciles()))
		for _, e := range report.Entities {
			if c := rep.Entities[e]; c != nil {
				fmt.Fprintf(stdout, "  %-*s extracted %6d  would load %6d  rejected %5d  skipped %5d", entityWidth, e, c.Extracted, c.WouldLoad, c.Rejected, c.Skipped)
				if c.Generated > 0 {
					fmt.Fprintf(stdout, "  (%d generated)", c.Generated)
				}
				fmt.Fprintln(stdout)
			}
		}
		fmt.Fprintf(stdout, "signed %d documents with %s\n", rep.DocumentsSigned, rep.Settings.Signer)
		printEmptySources(stdout, rep)
		if rep.Settings.Sample != "" {
			fmt.Fprintf(stdout, "SAMPLE: %s; %d records outside it are skipped (sampled-out); a full dry-run accounts for every record\n", rep.Settings.Sample, rep.SampledOut)
		}
		fmt.Fprintf(stdout, "report: %s and %s\n", xlsxPath, jsonPath)
		if problems := rep.ReconciliationProblems(); len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintf(stdout, "DOES NOT RECONCILE: %s\n", p)
			}
			fmt.Fprintln(stderr, "kantamig: the counts do not reconcile (listed above). "+ledger.Advice)
			return exitWith(exitUnreconciled)
		}
		switch {
		case rep.Budget == nil || !rep.Budget.Set:
			fmt.Fprintln(stdout, "error budget: none set (rejects are reported, a run goes on)")
		case rep.BudgetExceeded():
			fmt.Fprintf(stdout, "error budget: USED UP; a run would stop after staging and deliver nothing (see the Summary of %s)\n", xlsxPath)
			return exitWith(exitRejects)
		default:
			fmt.Fprintln(stdout, "error budget: within")
		}
		if *failOnReject && t.Rejected > 0 {
			return exitWith(exitRejects)
		}
		return nil
	}
	return cmd
}

func reconciled(ok bool) string {
	if ok {
		return "reconciles"
	}
	return "DOES NOT RECONCILE"
}

// printEmptySources shows, beside the counts, each source that yielded no
// records: the counts reconcile at zero, and a wrong path reads as nothing.
func printEmptySources(w io.Writer, rep *report.Report) {
	for _, reason := range rep.EmptySources() {
		fmt.Fprintf(w, "NO RECORDS: %s\n", reason)
	}
}
