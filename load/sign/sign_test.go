package sign

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

func testSigner(t testing.TB) (*Signer, *x509.Certificate) {
	t.Helper()
	s, err := NewThrowawaySigner("1.2.246.10.99999991.10.0", "Kuvitelman hyvinvointialue")
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) })
	cert, _ := x509.ParseCertificate(mustDecode(t, s.certB64))
	return s, cert
}

func documents(t testing.TB) map[string]*transform.Output {
	return transformtest.Documents(t, testenv.Sosmeta())
}

func TestSignEveryKindAndVerify(t *testing.T) {
	s, _ := testSigner(t)
	for name, out := range documents(t) {
		t.Run(name, func(t *testing.T) {
			// The fast path's body digest equals what the canonicaliser computes.
			slow, err := BodyDigest(out.XML, out.OID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(slow, out.BodyDigest) {
				t.Fatalf("transform's body digest differs from exclusive c14n of the parsed body")
			}
			signed, err := s.Sign(out.XML, out.OID, out.BodyDigest)
			if err != nil {
				t.Fatal(err)
			}
			results, err := Verify(signed)
			if err != nil || len(results) != 1 || results[0].Err != nil || results[0].Type != TypeSystem {
				t.Fatalf("verify: %v %+v", err, results)
			}
			// Signing inserts the signature and changes no other byte.
			at := bytes.Index(out.XML, []byte(headerEnd))
			if !bytes.HasPrefix(signed, out.XML[:at]) || !bytes.HasSuffix(signed, out.XML[at:]) {
				t.Error("signing changed bytes outside the inserted signature")
			}
		})
	}
}

// (c) Header fields outside the signed parts may change; the body and the timestamp may not.
func TestWhatTheSignatureCovers(t *testing.T) {
	s, _ := testSigner(t)
	out := documents(t)["client-document-structured"]
	signed, err := s.Sign(out.XML, out.OID, out.BodyDigest)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		valid          bool
	}{
		{"header: effective time", `<effectiveTime value="20110304101500+0200"/>`, `<effectiveTime value="20110305101500+0200"/>`, true},
		{"header: custodian name", `<name>Kuvitelman hyvinvointialue</name>`, `<name>Toinen nimi</name>`, true},
		{"header: retention class", `code="1" codeSystem="1.2.246.537.6.1258.201601"`, `code="2" codeSystem="1.2.246.537.6.1258.201601"`, true},
		{"timestamp", `>2026-11-22T10:00:00.000Z<`, `>2026-11-22T10:00:01.000Z<`, false},
		{"body Base64", `<text mediaType="application/xhtml+xml" representation="B64">PGRp`, `<text mediaType="application/xhtml+xml" representation="B64">PGRq`, false},
		{"body attribute", `representation="B64">PGRp`, `representation="TXT">PGRp`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(signed, []byte(c.old)) {
				t.Fatalf("document lacks %q", c.old)
			}
			changed := bytes.Replace(signed, []byte(c.old), []byte(c.new), 1)
			results, err := Verify(changed)
			if err != nil {
				t.Fatal(err)
			}
			if valid := results[0].Err == nil; valid != c.valid {
				t.Errorf("valid = %v, want %v (%v)", valid, c.valid, results[0].Err)
			}
		})
	}
}

func TestSignerRefusesKeyCertificateMismatch(t *testing.T) {
	a, _ := testSigner(t)
	_, certB := testSigner(t)
	if _, err := NewSigner(a.key, certB); err == nil {
		t.Error("a certificate of another key was accepted")
	}
	if _, ok := a.key.Public().(*rsa.PublicKey); !ok {
		t.Fatal("throwaway key is not RSA")
	}
}

// (b) Documents we sign verify with xmlsec1, and fail with it after tampering.
func TestXmlsec1VerifiesOurSignatures(t *testing.T) {
	xmlsec := testenv.Require(t, "xmlsec1", "apt-get install xmlsec1")
	s, cert := testSigner(t)
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	for name, out := range documents(t) {
		t.Run(name, func(t *testing.T) {
			signed, err := s.Sign(out.XML, out.OID, out.BodyDigest)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name+".xml")
			os.WriteFile(path, signed, 0o600)
			if res, err := Xmlsec1Verify(xmlsec, path, certPath); err != nil {
				t.Errorf("xmlsec1 rejects our signature: %v\n%s", err, res)
			}
			// One Base64 letter of the body changed, whatever the body holds.
			tampered := bytes.Clone(signed)
			at := bytes.Index(tampered, []byte(`<text mediaType=`))
			at += bytes.Index(tampered[at:], []byte(`representation="B64">`)) + len(`representation="B64">`)
			if tampered[at] == 'J' {
				tampered[at] = 'K'
			} else {
				tampered[at] = 'J'
			}
			os.WriteFile(path, tampered, 0o600)
			if _, err := Xmlsec1Verify(xmlsec, path, certPath); err == nil {
				t.Error("xmlsec1 accepts a tampered body")
			}
		})
	}
}

// Xmlsec1Verify runs the xmlsec1 command line of README.md: the profile's ID
// attributes declared, the key pinned to the expected certificate.
func Xmlsec1Verify(xmlsec, path, certPEM string) ([]byte, error) {
	cmd := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", certPEM,
		"--id-attr:ID", "urn:hl7-org:v3:nonXMLBody", "--id-attr:ID", "urn:hl7finland:signatureTimestamp", path)
	return cmd.CombinedOutput()
}

func mustDecode(t testing.TB, b64 string) []byte {
	der, err := decodeB64(b64)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
