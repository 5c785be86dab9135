package token

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// Every kind of document signed with the key on the token verifies with our
// verifier and with xmlsec1.
func TestTokenSignedDocumentsVerify(t *testing.T) {
	tok, err := Open(needToken(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	s, err := sign.NewSigner(tok.Key, tok.Cert)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tok.Cert.Raw}), 0o600)
	xmlsec, xmlsecErr := exec.LookPath("xmlsec1")
	for name, out := range transformtest.Documents(t, testenv.Sosmeta()) {
		signed, err := s.Sign(out.XML, out.OID, out.BodyDigest)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		results, err := sign.Verify(signed)
		if err != nil || results[0].Err != nil {
			t.Errorf("%s: our verifier: %v %v", name, err, results)
		}
		if xmlsecErr != nil {
			continue
		}
		path := filepath.Join(dir, name+".xml")
		os.WriteFile(path, signed, 0o600)
		cmd := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", certPath, "--id-attr:ID", "urn:hl7-org:v3:nonXMLBody", "--id-attr:ID", "urn:hl7finland:signatureTimestamp", path)
		if res, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: xmlsec1: %v\n%s", name, err, res)
		}
	}
}

// typicalDocument is a display-only client document of about 10 KB.
func typicalDocument(t testing.TB) *transform.Output {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	doc := transformtest.PlanDocument()
	doc.Type, doc.SpecificType = "17", ""
	doc.Text = strings.Repeat("Kotikäynnillä todettiin, että arki sujuu tuettuna. Sovittiin seuraavasta tapaamisesta.\n", 80)[:6500]
	out, err := tr.Document(doc, transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// parallel runs fn n times in total across workers goroutines.
func parallel(n, workers int, fn func() error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fn(); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return err
	}
	return nil
}

// BenchmarkTokenSigning measures, in one run and with one token, raw RSA-2048
// signatures per second and documents signed per second (a 10 KB client
// document: signature inserted, bytes produced) at 1, 2, 4 and 8 workers.
func BenchmarkTokenSigning(b *testing.B) {
	cfg := needToken(b)
	cfg.Workers = 8
	tok, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tok.Close()
	s, err := sign.NewSigner(tok.Key, tok.Cert)
	if err != nil {
		b.Fatal(err)
	}
	doc := typicalDocument(b)
	digest := sha256.Sum256([]byte("kantamig"))
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run("raw/workers="+itoa(workers), func(b *testing.B) {
			b.ResetTimer()
			err := parallel(b.N, workers, func() error {
				_, err := tok.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sig/s")
		})
		b.Run("document/workers="+itoa(workers), func(b *testing.B) {
			b.SetBytes(int64(len(doc.XML)))
			b.ResetTimer()
			err := parallel(b.N, workers, func() error {
				signed, err := s.Sign(doc.XML, doc.OID, doc.BodyDigest)
				if err == nil && !bytes.HasSuffix(signed, []byte("</ClinicalDocument>\n")) {
					return errors.New("signed document is truncated")
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
