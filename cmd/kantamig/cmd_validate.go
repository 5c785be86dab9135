package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/validate"
)

func validateCommand(c *cli) *cobra.Command {
	cmd := newCommand("validate")
	fs := cmd.Flags()
	url := fs.String("url", os.Getenv("KANTAMIG_VALIDATOR_URL"), "the validation service (env KANTAMIG_VALIDATOR_URL), e.g. archive-sim's https://127.0.0.1:8443"+"/shark-validointi/validoi/asiakirja/tulos")
	kind := fs.String("kind", "", "only documents of this kind: client-relationship, case or client-document")
	typ := fs.String("type", "", "only client documents of this general type (code, e.g. 15)")
	max := fs.Int("max", 50, "at most this many documents, spread evenly over those chosen; 0 for all")
	reportPath := fs.String("report", "validation.xlsx", "report to write: FILE.xlsx with FILE.json beside it (or FILE.json)")
	lang := langFlag(fs)
	var so sink.Options
	fs.StringVar(&so.CAFile, "tls-ca", "", "the service's CA certificate (PEM), for an https URL")
	fs.StringVar(&so.CertFile, "tls-cert", "", "the organisation's client certificate (PEM), if the service asks for mutual TLS")
	fs.StringVar(&so.KeyFile, "tls-key", "", "its private key (PEM)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout := c.stdout
		if len(args) != 1 {
			return usageError("validate: give one archive package or dry-run documents folder (see 'kantamig validate -h')")
		}
		if *url == "" {
			return usageError("validate: give the validation service with --url (or KANTAMIG_VALIDATOR_URL)")
		}
		switch *kind {
		case "", "client-relationship", "case", "client-document":
		default:
			return usageError("validate: --kind %q: choose client-relationship, case or client-document", *kind)
		}
		if *max < 0 {
			return usageError("validate: --max %d: give 0 (all) or more", *max)
		}
		xlsxPath, jsonPath := reportFiles(*reportPath)
		if err := checkWritable(xlsxPath); err != nil {
			return err
		}
		cfg, err := sink.ClientTLS(so)
		if err != nil {
			return err
		}
		cands, err := validate.Candidates(args[0])
		if err != nil {
			return err
		}
		opts := validate.Options{URL: *url, Kind: *kind, Type: *typ, Max: *max, Source: args[0],
			Client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{TLSClientConfig: cfg}}}
		chosen, err := validate.Choose(cands, opts)
		if err != nil {
			return err
		}
		if len(chosen) == 0 {
			return usageError("validate: no document of %s matches (%d documents there)", args[0], len(cands))
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		p := newProgress(c)
		p.Start("validating", int64(len(chosen)))
		v, err := validate.Run(ctx, chosen, len(cands), opts, func() { p.Add(1) })
		p.Finish()
		var systemic *validate.SystemicError
		if err != nil && !errors.As(err, &systemic) {
			return err
		}
		v.Language = *lang
		if err := v.WriteExcel(xlsxPath); err != nil {
			return err
		}
		if err := v.WriteJSON(jsonPath); err != nil {
			return err
		}
		for _, r := range v.Results {
			if r.Outcome != report.ValidationValid {
				fmt.Fprintf(stdout, "%-8s %s (%s): %s\n", strings.ToUpper(r.Outcome), r.OID, r.Kind, strings.Join(r.Errors, "; "))
			}
		}
		fmt.Fprintf(stdout, "%d of %d document(s) validated by %s: %d valid, %d invalid, %d not sent, %d failed\nreport: %s and %s\n",
			len(v.Results), len(cands), *url, v.Counts[report.ValidationValid], v.Counts[report.ValidationInvalid],
			v.Counts[report.ValidationNotSent], v.Counts[report.ValidationFailed], xlsxPath, jsonPath)
		if systemic != nil {
			return systemic // what was sent is in the report
		}
		switch {
		case v.Counts[report.ValidationFailed] > 0:
			return exitWith(exitFailure)
		case v.Counts[report.ValidationInvalid]+v.Counts[report.ValidationNotSent] > 0:
			return exitWith(exitVerify)
		}
		return nil
	}
	return cmd
}
