package sink_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/load/sink"
)

// Certificate failures are refusals reported at once with what to check,
// never retried: a server certificate the client does not trust, and a
// client certificate the server does not trust (which TLS 1.3 reports only
// after the handshake, and used to show as a broken pipe after 8 attempts).
func TestTLSCertificateFailuresAreNotRetried(t *testing.T) {
	dir := t.TempDir()
	files, err := archive.EnsureTLSFiles(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := archive.EnsureTLSFiles(filepath.Join(dir, "stranger"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := archive.NewServer(filepath.Join(dir, "store"), archive.Faults{}, archive.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs, ln, err := archive.Listen("127.0.0.1:0", srv, files)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	url := "kanta:https://" + ln.Addr().String()
	for _, tc := range []struct {
		name string
		opts sink.Options
		want string
	}{
		{"archive not trusted", sink.Options{CAFile: stranger.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey}, "--tls-ca"},
		{"client not trusted", sink.Options{CAFile: files.CA, CertFile: stranger.ClientCert, KeyFile: stranger.ClientKey}, "--tls-cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Retry.Base = time.Second // eight retries would take well over the limit below
			sk, err := sink.Open(url, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sk.Close()
			start := time.Now()
			_, err = sk.Deliver(context.Background(), &sink.Delivery{OID: "1.2.3", Document: []byte("<x/>"), Frame: sink.FixedFrame([]byte("<f/>"))})
			if !sink.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want a permanent refusal naming %s, got %v", tc.want, err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v: retried", took)
			}
		})
	}
	if _, err := sink.Open(url, sink.Options{CAFile: files.CA}); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Errorf("no client certificate: %v", err)
	}
}
