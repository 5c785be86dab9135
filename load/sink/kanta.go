package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Kanta delivers to the archive interface over HTTPS with mutual TLS, one
// message per document: POST <URL>/archive, the body the frame
// (RCMR_IN200002FI01, text/xml), which carries the signed document inside,
// as a MIME body in its clinicalDocument/text (DOMAIN §5.2a; the frame
// builder, transform.Frame, makes it). The outer transport of the real
// interface (a SOAP envelope, its addressing) was not available (DOMAIN
// §5.2a, §10): it would wrap this same frame here, and nowhere else.
// archive-sim speaks this. Connection errors, 429 and 5xx are transient (the
// retry wrapper sends again); a 4xx refusal or a certificate either side
// does not trust is permanent.
type Kanta struct {
	url       string
	client    *http.Client
	tlsConfig *tls.Config
	// answered is when the archive last answered a message (unix nanoseconds):
	// it trusted this client's certificate then.
	answered atomic.Int64
	probes   atomic.Int64 // handshakes made to ask whether the server trusts the certificate
}

// trustedFor is how long after an answer a lost connection is taken for a
// transient fault without asking the server whether it still trusts the
// client's certificate: the probe costs a handshake and a second's wait,
// which, paid on every dropped connection, cut the delivery rate by three
// quarters at 5% drops.
const trustedFor = time.Minute

func init() {
	Register("kanta", Scheme{Form: "kanta:https://", Help: "the archive over mutual TLS", Open: func(url string, opts Options) (Sink, error) { return OpenKanta(url, opts) }, ReachesArchive: true})
}

// OpenKanta opens the archive interface sink.
func OpenKanta(url string, opts Options) (Sink, error) {
	if !strings.HasPrefix(url, "https://") {
		return nil, &SpecError{Spec: "kanta:" + url, Reason: "the archive is reached over HTTPS only"}
	}
	if opts.CertFile == "" || opts.KeyFile == "" {
		return nil, &SpecError{Spec: "kanta:" + url, Reason: "the archive takes messages over mutual TLS only; give the organisation's client certificate with --tls-cert and its key with --tls-key"}
	}
	cfg, err := ClientTLS(opts)
	if err != nil {
		return nil, err
	}
	return &Kanta{
		url:       strings.TrimRight(url, "/"),
		client:    &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 8}},
		tlsConfig: cfg,
	}, nil
}

func (k *Kanta) String() string { return "kanta:" + k.url }

// Close releases idle connections.
func (k *Kanta) Close() error {
	k.client.CloseIdleConnections()
	return nil
}

// Deliver sends one document once; see Kanta for which failures are
// transient.
func (k *Kanta) Deliver(ctx context.Context, d *Delivery) (Receipt, error) {
	body, contentType := d.Frame(), "text/xml; charset=UTF-8"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.url+"/archive", bytes.NewReader(body))
	if err != nil {
		return Receipt{}, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := k.client.Do(req)
	if err != nil {
		if e := classifyTLS(err); e != nil {
			return Receipt{}, e
		}
		if time.Since(time.Unix(0, k.answered.Load())) > trustedFor {
			if perm := k.tlsFailure(ctx, err); perm != nil {
				return Receipt{}, perm
			}
		}
		if ctx.Err() != nil {
			return Receipt{}, err
		}
		return Receipt{}, &TransientError{Err: err, NoAnswer: true}
	}
	defer resp.Body.Close()
	k.answered.Store(time.Now().UnixNano())
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var answer struct{ Result, Error string }
	json.Unmarshal(data, &answer)
	switch {
	case resp.StatusCode == http.StatusOK:
		return Receipt{Duplicate: answer.Result == "duplicate"}, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return Receipt{}, &TransientError{Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(answer.Error))}
	default:
		reason := answer.Error
		if reason == "" {
			reason = strings.TrimSpace(string(data))
		}
		return Receipt{}, &PermanentError{Reason: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, reason)}
	}
}

// tlsFailure tells a failure that sending again cannot fix (a certificate
// not trusted on either side) from a transient one, and says what to check.
// A server that refuses the client's certificate shows, under TLS 1.3, only
// after the handshake, often as a reset or broken pipe on the request: for
// any transport error, one probe handshake with a short read asks the server
// directly.
func (k *Kanta) tlsFailure(ctx context.Context, err error) error {
	if e := classifyTLS(err); e != nil {
		return e
	}
	if ctx.Err() != nil {
		return nil
	}
	host := strings.TrimPrefix(k.url, "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if !strings.Contains(host, ":") {
		host += ":443"
	}
	k.probes.Add(1)
	d := &tls.Dialer{Config: k.tlsConfig.Clone(), NetDialer: &net.Dialer{Timeout: 10 * time.Second}}
	conn, derr := d.DialContext(ctx, "tcp", host)
	if derr != nil {
		return classifyTLS(derr)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(time.Second))
	_, rerr := conn.Read(make([]byte, 1))
	return classifyTLS(rerr)
}

// classifyTLS returns a PermanentError for certificate and handshake refusals, nil otherwise.
func classifyTLS(err error) error {
	if err == nil {
		return nil
	}
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) {
		return &PermanentError{Reason: fmt.Sprintf("the archive's TLS certificate is not trusted (%v); check --tls-ca is the archive's CA and the URL's host name is the one in its certificate", err)}
	}
	// An alert from the server ("remote error: tls: ...") is its TLS layer's
	// refusal; crypto/tls reports it as a net.OpError with that Op.
	var alert tls.AlertError
	var op *net.OpError
	if errors.As(err, &alert) || (errors.As(err, &op) && op.Op == "remote error") {
		return &PermanentError{Reason: fmt.Sprintf("the archive refused the TLS connection (%v); check that --tls-cert and --tls-key are the organisation's client certificate and key, issued by a CA the archive trusts and not expired", err)}
	}
	return nil
}

// ClientTLS is the TLS configuration of a client of the archive's services:
// the organisation's client certificate, if given, for mutual TLS, and the
// archive's CA, if given, instead of the system's.
func ClientTLS(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CertFile != "" || opts.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate for mutual TLS: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the archive's CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
