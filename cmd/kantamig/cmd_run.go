package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/eventlog"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/deliver"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/metrics"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/state"
)

func runCommand(c *cli) *cobra.Command {
	cmd := newCommand("run")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML)")
	statePath := fs.String("state", "", "state file (SQLite); created on the first run, continued on the next; or postgres: (connection string in KANTAMIG_STATE_DSN) for a store shared by the workers of a sharded run")
	shardSpec := fs.String("shard", "", "I/N: be worker I (from 0) of N, delivering the clients of shard I; every worker gives the same --state postgres: store")
	sinkSpec := fs.String("sink", "", "where documents go: dir:PATH (an archive package) or kanta:URL")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas, a newer national export than the one built in (env KANTAMIG_SOSMETA; default: the schemas built into kantamig)")
	reportPath := fs.String("report", "", "Excel report of this run (default beside the state file); JSON beside it")
	phased := fs.Bool("phased", false, "deliver all client relationships, then all cases, then all documents")
	allowChange := fs.Bool("allow-mapping-change", false, "continue a run although the mapping file changed")
	restage := fs.Bool("restage", false, "read the sources again when continuing a run whose sources were staged to the end (by default it delivers what was staged): records changed are staged anew, records gone from the source are not delivered (gone-from-source)")
	retryRefused := fs.Bool("retry-refused", false, "send again, unchanged, the documents the archive refused in an earlier start (by default they wait until their content changes, seen with --restage)")
	adopt := fs.Bool("adopt-package", false, "take over an archive package made by another run (state file): each document it holds is matched to this run's record by source key, version and content; refused if any does not match")
	processing := fs.String("processing-code", "", "processingCode of the message frames: P production, D debugging, T training (T and D: test persons only). Required for kanta: sinks; a package defaults to P")
	testArchive := fs.Bool("test-archive", false, "the sink is a test archive: refuse to send any person outside the identity-code test range 900–999 (implied by --processing-code T or D)")
	showPersonal := fs.Bool("show-personal-data", false, "show identity codes and names unmasked in the report")
	lang := langFlag(fs)
	maxDoc := fs.Int("max-document-bytes", pipeline.DefaultMaxDocumentBytes, "reject, at staging, a document of any kind larger than this many bytes (the reason gives its size); a record holding more text than this is refused before its document is built")
	maxMessage := fs.Int("max-message-bytes", pipeline.DefaultMaxMessageBytes, "reject, at staging, a document whose message frame (signed, in Base64) could be larger than this many bytes")
	metricsAddr := fs.String("metrics-listen", "", "serve the run's metrics to Prometheus at http://ADDR/metrics while it runs (e.g. 127.0.0.1:9464; docs/events.md lists them)")
	senders := fs.Int("senders", 8, "documents on their way to the sink at once (each client's order holds)")
	var so sink.Options
	fs.StringVar(&so.CAFile, "tls-ca", "", "kanta sink: the archive's CA certificate (PEM)")
	fs.StringVar(&so.CertFile, "tls-cert", "", "kanta sink: the organisation's client certificate for mutual TLS (PEM)")
	fs.StringVar(&so.KeyFile, "tls-key", "", "kanta sink: its private key (PEM)")
	var tf tokenFlags
	tf.register(fs)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout, stderr := c.stdout, c.stderr
		if *file == "" || *statePath == "" || *sinkSpec == "" {
			fmt.Fprintln(stderr, "kantamig run: give -m MAPPING, --state FILE and --sink dir:PATH")
			return exitWith(exitUsage)
		}
		switch *processing {
		case "P", "D", "T":
		case "":
			// The production archive is chosen explicitly, never by default: a
			// default of P would send whatever the extract holds wherever the URL points.
			if sink.ReachesArchive(*sinkSpec) {
				return usageError("run: give --processing-code P to deliver to the production archive, or T (or D) for a test archive, which takes test persons only")
			}
			*processing = "P"
		default:
			return usageError("run: --processing-code %q: choose P (production), D (debugging) or T (training)", *processing)
		}
		var spec *shard.Spec
		open := state.Open
		if *shardSpec != "" {
			sp, err := shard.Parse(*shardSpec)
			if err != nil {
				return usageError("run: %v", err)
			}
			spec, open = &sp, state.OpenShared
		}
		if *reportPath == "" {
			*reportPath = defaultReport(*statePath, spec)
		}
		xlsxPath, jsonPath := reportFiles(*reportPath)
		if err := checkWritable(xlsxPath); err != nil {
			return err
		}
		m, schemas, err := pipeline.Load(*file, *sosmeta)
		if err != nil {
			return err
		}
		// The token, its certificate and the sink are checked before the
		// state store is opened: a run refused on its arguments leaves no
		// state file behind.
		tok, signer, err := tf.open(stderr)
		if err != nil {
			return err
		}
		defer tok.Close()
		foreign, err := tf.checkCertificate(tok, m.Custodian.OID, c.log)
		if err != nil {
			return err
		}
		sk, err := sink.Open(*sinkSpec, so)
		if err != nil {
			return err // a package another run writes is exit 9
		}
		defer sk.Close()
		st, err := open(*statePath)
		if err != nil {
			return err
		}
		defer st.Close()
		observe := logDeliveries(c.log)
		prog := newProgress(c)
		if counting, ok := st.(interface{ Stats() (int64, int64) }); ok {
			if p, ok := prog.(statementCounter); ok {
				p.countStatements(func() int64 { n, _ := counting.Stats(); return n })
			}
		}
		if *metricsAddr != "" {
			mx := metrics.New()
			bound, stopMetrics, err := mx.Serve(*metricsAddr)
			if err != nil {
				return usageError("%v", err)
			}
			defer stopMetrics()
			observe, prog = mx.Observe(observe), mx.Progress(prog)
			c.log.Info("metrics", "metrics at http://"+bound+"/metrics", "address", bound)
		}
		runner, err := pipeline.Prepare(m, schemas, pipeline.Options{Observe: observe, BeforeAccount: releaseHeadroom,
			SchemaDir: *sosmeta, ShowPersonal: *showPersonal, MaxDocumentBytes: *maxDoc, MaxMessageBytes: *maxMessage, Workers: tf.workers, Store: st,
			Signer: signer, SignerName: fmt.Sprintf("token %s%s, key %s%s (%s)%s", tf.cfg.TokenLabel, tf.cfg.TokenSerial, tf.cfg.KeyLabel, tf.cfg.KeyID, tok.Cert.Subject, foreign),
			Version: version, Command: c.commandLine(), Language: *lang,
		})
		if err != nil {
			return err
		}
		defer runner.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		rep, err := runner.Run(ctx, pipeline.RunOptions{Sink: sk, Phased: *phased, AllowMappingChange: *allowChange, Restage: *restage, AdoptPackage: *adopt,
			ProcessingCode: *processing, TestEnvironment: *testArchive, Progress: prog, Senders: *senders, Shard: spec, RetryRefused: *retryRefused})
		if rep != nil {
			defer rep.Close() // its file of the warnings beyond the listed ones
		}
		if errors.Is(err, pipeline.ErrComplete) {
			fmt.Fprintf(stdout, "%s: the run is complete; nothing to do (kantamig status --state %s)\n", *statePath, *statePath)
			return nil
		}
		again := repeatCommand(cmd, "processing-code", *processing)
		resume := "Run the same command again to continue: " + again
		if ctx.Err() != nil {
			c.log.Warn("interrupted", "interrupted; documents in flight settled and the state is saved. "+resume, "resume", again)
			return exitWith(exitInterrupted)
		}
		if classify(err).stoppedAtStaging {
			// Nothing (more) was delivered; the report shows what was staged,
			// every reject with it.
			var overBudget *budget.ErrExceeded
			if errors.As(err, &overBudget) {
				overBudget.Report = xlsxPath
			}
			if werr := rep.WriteExcel(xlsxPath); werr == nil {
				rep.WriteJSON(jsonPath)
			}
			return err
		}
		// The archive refused some documents and the run went on with the
		// rest: it is reported as a finished delivery, then the refusal said.
		var refused *pipeline.ErrRefused
		if errors.As(err, &refused) {
			err = nil
		}
		if err != nil {
			switch classify(err).again {
			case againChangesNothing:
				return err // the message says what to change
			case againAfterCorrecting:
				return &hinted{err: err, hint: fmt.Sprintf("Sending it again would get the same answer: correct what the archive names in the source "+
					"or the mapping (kantamig status --state %s lists the refusal), then continue with --allow-mapping-change if the mapping changed:\n%s", *statePath, again)}
			}
			return &hinted{err: err, hint: resume}
		}
		err = rep.WriteExcel(xlsxPath)
		if err == nil {
			err = rep.WriteJSON(jsonPath)
		}
		if err != nil {
			// The delivery is done and recorded; only its account is missing.
			c.log.Error("report-not-written", fmt.Sprintf("the run delivered %d documents and recorded them, but its report could not be written: %v. Free space (or choose another --report) and write it from the state file: kantamig report --state %s --report %s",
				rep.DocumentsDelivered, err, *statePath, *reportPath), "delivered", rep.DocumentsDelivered)
			printStatus(stdout, st, *statePath)
			return exitWith(exitNoReport)
		}
		if rep.AdoptedDocuments > 0 {
			fmt.Fprintf(stdout, "adopted %d documents the package held, each matched to its record by source key, version and content (%d records given new OIDs the package did not use)\n", rep.AdoptedDocuments, rep.AdoptionReminted)
		}
		fmt.Fprintf(stdout, "delivered %d documents to %s (%d were there already)\n", rep.DocumentsDelivered, sk, rep.DuplicatesAtSink)
		printEmptySources(stdout, rep)
		if c, ok := st.(interface{ Stats() (int64, int64) }); ok {
			statements, commits := c.Stats()
			fmt.Fprintf(stdout, "state store: %d statements (round trips), %d commits in this process\n", statements, commits)
			if r, ok := st.(interface{ Reconnects() int64 }); ok && r.Reconnects() > 0 {
				fmt.Fprintf(stdout, "state store: %d connections made again after they were lost\n", r.Reconnects())
			}
		}
		err = printStatus(stdout, st, *statePath)
		if refused != nil {
			return &hinted{err: refused, hint: "To continue once corrected: " + again + " --restage"}
		}
		if spec != nil && err != nil {
			// A worker is done when its shard is; the run, when every shard is.
			done, serr := st.Setting(fmt.Sprintf("complete/%d", spec.I))
			if serr != nil {
				return fmt.Errorf("reading whether shard %s is complete: %w", spec, serr)
			}
			if done == "yes" {
				fmt.Fprintf(stdout, "shard %s: complete; the run completes with the last shard (kantamig status --state %s)\n", spec, *statePath)
				return nil
			}
		}
		return err
	}
	return cmd
}

// defaultReport is the run report's path when --report is not given: beside
// a state file, or, for a shared store, in the working folder, one per shard.
func defaultReport(statePath string, spec *shard.Spec) string {
	if state.IsShared(statePath) {
		if spec != nil {
			return fmt.Sprintf("run-shard-%d-of-%d-report.xlsx", spec.I, spec.N)
		}
		return "run-report.xlsx"
	}
	return strings.TrimSuffix(statePath, ".db") + "-report.xlsx"
}

// logDeliveries writes each document the archive refused (a warning) and
// each held back for one (with -v) to the log, source keys masked.
func logDeliveries(log *eventlog.Log) *deliver.Observer {
	return &deliver.Observer{
		Refused: func(kind, entity, key, oid, reason string) {
			key = kanta.MaskIdentityCodesIn(key)
			log.Warn("refused", fmt.Sprintf("the archive refused %s %s (%s): %s", entity, key, oid, reason),
				"kind", kind, "entity", entity, "key", key, "oid", oid, "reason", reason)
		},
		HeldBack: func(kind, entity, key, oid, reason string) {
			key = kanta.MaskIdentityCodesIn(key)
			log.Detail("held-back", fmt.Sprintf("held back %s %s (%s): %s", entity, key, oid, reason),
				"kind", kind, "entity", entity, "key", key, "oid", oid, "reason", reason)
		},
	}
}
