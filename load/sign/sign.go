package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Signer signs archive documents as system signatures (type 3) with one key.
// It is safe for concurrent use when its key is.
type Signer struct {
	key     crypto.Signer
	certB64 string
	now     func() time.Time
}

// NewSigner makes a signer from a key (on a token or in process) and its
// certificate. Only RSA keys are accepted: the profile signs with RSA-SHA256.
func NewSigner(key crypto.Signer, cert *x509.Certificate) (*Signer, error) {
	if key == nil || cert == nil {
		return nil, errors.New("signing needs a key and its certificate")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the signing key is %T; the Kanta profile signs with RSA-SHA256", key.Public())
	}
	certPub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !certPub.Equal(pub) {
		return nil, errors.New("the certificate does not belong to the signing key")
	}
	return &Signer{key: key, certB64: base64.StdEncoding.EncodeToString(cert.Raw), now: time.Now}, nil
}

// SetClock replaces the clock that stamps signatures (for tests).
func (s *Signer) SetClock(now func() time.Time) { s.now = now }

// ErrNoHeader is returned for a document without a Finnish header to put the signature in.
var ErrNoHeader = errors.New("document has no single hl7fi:localSocialHeader to hold the signature")

// Sign returns the document with a system signature inserted at the end of its
// Finnish header. bodyDigest is the SHA-256 of the exclusive canonical form of
// the nonXMLBody; when nil it is computed by parsing the document. No byte
// outside the inserted signature changes.
func (s *Signer) Sign(doc []byte, documentOID string, bodyDigest []byte) ([]byte, error) {
	at := bytes.Index(doc, []byte(headerEnd))
	if at < 0 || bytes.Contains(doc[at+len(headerEnd):], []byte(headerEnd)) {
		return nil, ErrNoHeader
	}
	if bodyDigest == nil {
		d, err := BodyDigest(doc, documentOID)
		if err != nil {
			return nil, err
		}
		bodyDigest = d
	}
	sigID := "kantamig.signature.1"
	tsID := "CDA-timestamp." + sigID
	stamp := s.now().UTC().Format("2006-01-02T15:04:05.000Z")
	// The timestamp's exclusive canonical form: its namespace is declared on it.
	tsC14N := `<signatureTimestamp xmlns="` + NamespaceFI + `" ID="` + tsID + `">` + stamp + `</signatureTimestamp>`
	tsDigest := sha256.Sum256([]byte(tsC14N))

	var si strings.Builder
	si.Grow(1024)
	si.WriteString(`<SignedInfo xmlns="` + NamespaceDSig + `">`)
	si.WriteString(`<CanonicalizationMethod Algorithm="` + AlgExcC14N + `"></CanonicalizationMethod>`)
	si.WriteString(`<SignatureMethod Algorithm="` + AlgRSASHA256 + `"></SignatureMethod>`)
	writeReference(&si, "#OID"+documentOID, bodyDigest)
	writeReference(&si, "#"+tsID, tsDigest[:])
	si.WriteString(`</SignedInfo>`)
	// SignedInfo is written in its canonical form, so its digest needs no parsing.
	siDigest := sha256.Sum256([]byte(si.String()))
	value, err := s.key.Sign(rand.Reader, siDigest[:], crypto.SHA256)
	if err != nil {
		return nil, &TokenError{Err: err}
	}

	var c bytes.Buffer
	c.Grow(len(doc) + 4096)
	c.Write(doc[:at])
	c.WriteString(`<signatureCollection xmlns="` + NamespaceFI + `"><signature ID="` + sigID + `">`)
	c.WriteString(`<signatureDescription code="` + TypeSystem + `" displayName="Järjestelmäallekirjoitus" codeSystem="1.2.246.537.5.40127.2006" codeSystemName="KanTa-palvelut - Sähköisen allekirjoituksen tyyppi"/>`)
	c.WriteString(`<signatureTimestamp ID="` + tsID + `">` + stamp + `</signatureTimestamp>`)
	c.WriteString(`<Signature xmlns="` + NamespaceDSig + `">`)
	c.WriteString(si.String())
	c.WriteString(`<SignatureValue>` + base64.StdEncoding.EncodeToString(value) + `</SignatureValue>`)
	c.WriteString(`<KeyInfo><X509Data><X509Certificate>` + s.certB64 + `</X509Certificate></X509Data></KeyInfo>`)
	c.WriteString(`</Signature></signature></signatureCollection>` + "\n")
	c.Write(doc[at:])
	return c.Bytes(), nil
}

func writeReference(b *strings.Builder, uri string, digest []byte) {
	b.WriteString(`<Reference URI="` + uri + `"><Transforms>`)
	b.WriteString(`<Transform Algorithm="` + AlgEnveloped + `"></Transform>`)
	b.WriteString(`<Transform Algorithm="` + AlgExcC14N + `"></Transform>`)
	b.WriteString(`</Transforms><DigestMethod Algorithm="` + AlgSHA256 + `"></DigestMethod>`)
	b.WriteString(`<DigestValue>` + base64.StdEncoding.EncodeToString(digest) + `</DigestValue></Reference>`)
}

// TokenError is a failure of the key (token) while signing: systemic, not a
// fault of the document. The run stops when it sees one.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "the signing key failed: " + e.Err.Error() }

func (e *TokenError) Unwrap() error { return e.Err }
