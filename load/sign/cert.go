package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
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
