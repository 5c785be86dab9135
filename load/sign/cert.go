package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// OrganisationCertificate makes a self-signed certificate shaped like an
// organisation's service certificate (palveluvarmenne, DOMAIN §4.2): subject
// serialNumber is the organisation's OID, O its name, key usage digital
// signature and non-repudiation. It is for the throwaway key of a dry-run and
// for test tokens; production certificates come from DVV.
func OrganisationCertificate(key crypto.Signer, orgOID, orgName, commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	name := pkix.Name{SerialNumber: orgOID, Organization: []string{orgName}, CommonName: commonName, Country: []string{"FI"}}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("making the certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// NewThrowawaySigner makes an in-process RSA-2048 key and a certificate for
// it, so that a dry-run signs every document exactly as a run will, without a
// token. Nothing it signs is ever delivered.
func NewThrowawaySigner(orgOID, orgName string) (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	cert, err := OrganisationCertificate(key, orgOID, orgName, "kantamig dry-run (throwaway key)")
	if err != nil {
		return nil, err
	}
	return NewSigner(key, cert)
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// ForeignCertificateError refuses to sign with a certificate that is not
// the organisation's, or not valid now: the archive would refuse every
// document signed with it, and only at the end of a run.
type ForeignCertificateError struct {
	Subject, SerialNumber, Organisation string
	NotBefore, NotAfter, At             time.Time
}

func (e *ForeignCertificateError) Error() string {
	if e.SerialNumber != e.Organisation {
		return fmt.Sprintf("the signing certificate on the token is %q, whose subject serialNumber %q is not the organisation the mapping names as custodian (%s): "+
			"the archive takes system signatures by the custodian only. Choose the organisation's token and key (--token-label, --key-label), "+
			"or correct custodian in the mapping; --allow-foreign-certificate signs anyway, for a rehearsal", e.Subject, e.SerialNumber, e.Organisation)
	}
	return fmt.Sprintf("the signing certificate on the token (%s) is not valid now (%s): it is valid from %s to %s. Renew it, or use the token that holds the current one",
		e.Subject, e.At.Format(time.RFC3339), e.NotBefore.Format(time.RFC3339), e.NotAfter.Format(time.RFC3339))
}

// CheckCertificate checks, before anything is signed, that a signing
// certificate belongs to the organisation (its subject serialNumber is the
// organisation's OID, as in DVV's service certificates) and is valid at
// the time given.
func CheckCertificate(cert *x509.Certificate, organisation string, at time.Time) error {
	if cert.Subject.SerialNumber != organisation || at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
		return &ForeignCertificateError{Subject: cert.Subject.String(), SerialNumber: cert.Subject.SerialNumber, Organisation: organisation,
			NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, At: at}
	}
	return nil
}

// TestCA is a certificate authority kept in a folder (ca.pem and its key,
// readable by the owner only) that issues organisation certificates for
// test tokens, standing in for DVV's so that a trust anchor can be given.
// It is for tests and the demo only.
type TestCA struct {
	key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// OpenTestCA opens the test CA in dir, making it on first use.
func OpenTestCA(dir string) (*TestCA, error) {
	certPath, keyPath := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	if certPEM, err := os.ReadFile(certPath); err == nil {
		keyPEM, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, err
		}
		cb, _ := pem.Decode(certPEM)
		kb, _ := pem.Decode(keyPEM)
		if cb == nil || kb == nil {
			return nil, fmt.Errorf("the test CA in %s is not PEM", dir)
		}
		cert, err := x509.ParseCertificate(cb.Bytes)
		if err != nil {
			return nil, err
		}
		key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
		if err != nil {
			return nil, err
		}
		return &TestCA{key: key, Cert: cert}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	name := pkix.Name{CommonName: "kantamig TEST Service Certs CA (stands in for DVV)", Country: []string{"FI"}}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: name, Issuer: name, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return &TestCA{key: key, Cert: cert}, nil
}

// Issue makes an organisation certificate for key (as
// OrganisationCertificate does) signed by the CA.
func (ca *TestCA) Issue(key crypto.Signer, orgOID, orgName, commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{SerialNumber: orgOID, Organization: []string{orgName}, CommonName: commonName, Country: []string{"FI"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(2, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("issuing the certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}
