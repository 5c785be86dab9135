package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/archive"
)

func archiveSimCommand(c *cli) *cobra.Command {
	cmd := newCommand("archive-sim")
	fs := cmd.Flags()
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on (loopback)")
	store := fs.String("store", "out/archive-sim", "folder where the simulator keeps what it accepts")
	tlsDir := fs.String("tls-dir", "out/archive-sim-tls", "folder of the CA, server and client certificates (made if missing)")
	var f archive.Faults
	fs.DurationVar(&f.Latency, "latency", 0, "added to every answer")
	fs.Float64Var(&f.ErrorRate, "error-rate", 0, "share of requests answered 503")
	fs.Float64Var(&f.DropRate, "drop-rate", 0, "share of requests whose connection is dropped without an answer")
	fs.StringVar(&f.RefuseOID, "refuse-oid", "", "refuse these document OIDs (comma-separated) with 422")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the injected faults")
	var jf judgeFlags
	jf.register(fs, "the archive")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout := c.stdout
		f.Seed = *seed
		files, err := archive.EnsureTLSFiles(*tlsDir)
		if err != nil {
			return err
		}
		cfg, err := jf.config(false)
		if err != nil {
			return err
		}
		srv, err := archive.NewServer(*store, f, cfg)
		if err != nil {
			return err
		}
		defer srv.Close()
		hs, ln, err := archive.Listen(*listen, srv, files)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "archive-sim listening on https://%s (mutual TLS), keeping documents in %s\n", ln.Addr(), *store)
		fmt.Fprintf(stdout, "judging codes against %s, signing certificates %s\n", judgedCodes(jf), judgedChains(jf))
		fmt.Fprintf(stdout, "deliver with: kantamig run ... --sink kanta:https://%s --processing-code T --tls-ca %s --tls-cert %s --tls-key %s\n", ln.Addr(), files.CA, files.ClientCert, files.ClientKey)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() { <-ctx.Done(); hs.Close() }()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		fmt.Fprintf(stdout, "archive-sim stopped; %d documents archived\n", srv.Judge().Count())
		return nil
	}
	return cmd
}

// judgedCodes says what a judge holds codes to.
func judgedCodes(f judgeFlags) string {
	if f.mapping != "" {
		return "the code sets of " + f.mapping
	}
	return "the built-in code sets (give -m MAPPING for the run's)"
}

// judgedChains says what a judge holds signing certificates to.
func judgedChains(f judgeFlags) string {
	if f.anchors != "" {
		return "chained to the trust anchors in " + f.anchors
	}
	return "not chained (give --trust-anchor CA.pem)"
}
