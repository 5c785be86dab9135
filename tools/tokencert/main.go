// Command tokencert makes a certificate for a key generated on a PKCS#11
// token, shaped like an organisation's service certificate, and stores it on
// the token beside the key. With -ca DIR the certificate is issued by a test
// CA kept in DIR (ca.pem, made on first use), which stands in for DVV's so
// that signatures can be chained to a trust anchor (verify --trust-anchor);
// without it, the certificate is self-signed. scripts/token-setup.sh uses it
// to prepare the demo and test tokens; real tokens carry certificates issued
// by DVV.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"

	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/token"
)

func main() {
	var cfg token.Config
	flag.StringVar(&cfg.Module, "module", token.DefaultModule, "PKCS#11 module")
	flag.StringVar(&cfg.TokenLabel, "token", "", "token label")
	flag.StringVar(&cfg.KeyLabel, "key", "", "key label")
	orgOID := flag.String("org-oid", "", "organisation OID (subject serialNumber)")
	orgName := flag.String("org-name", "", "organisation name (subject O)")
	out := flag.String("out", "", "also write the certificate here (PEM)")
	caDir := flag.String("ca", "", "issue the certificate from the test CA in this folder (made if missing)")
	flag.Parse()
	cfg.PIN = os.Getenv("KANTAMIG_PIN")
	if err := run(cfg, *orgOID, *orgName, *out, *caDir); err != nil {
		fmt.Fprintln(os.Stderr, "tokencert:", err)
		os.Exit(1)
	}
}

func run(cfg token.Config, orgOID, orgName, out, caDir string) error {
	ctx, key, err := token.OpenForSetup(cfg)
	if err != nil {
		return err
	}
	defer ctx.Close()
	var cert *x509.Certificate
	if caDir != "" {
		ca, err := sign.OpenTestCA(caDir)
		if err != nil {
			return err
		}
		cert, err = ca.Issue(key, orgOID, orgName, "kantamig test system signature")
		if err != nil {
			return err
		}
	} else if cert, err = sign.OrganisationCertificate(key, orgOID, orgName, "kantamig test system signature"); err != nil {
		return err
	}
	if err := ctx.ImportCertificateWithLabel([]byte{1}, []byte(cfg.KeyLabel), cert); err != nil {
		return fmt.Errorf("storing the certificate on the token: %w", err)
	}
	if out != "" {
		return os.WriteFile(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	}
	return nil
}
