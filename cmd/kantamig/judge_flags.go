package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/pipeline"
)

// judgeFlags choose what archive-sim and verify hold documents to beyond
// their own consistency: the run's code sets (its mapping), the Sosmeta
// schemas, the trust anchors of signing certificates and the organisation
// that must have signed.
type judgeFlags struct {
	mapping, sosmeta, anchors, organisation string
}

func (f *judgeFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVarP(&f.mapping, "mapping", "m", "", "the run's mapping: "+what+" holds codes to the code sets it loads (and takes its placeholders if it is a test rehearsal)")
	fs.StringVar(&f.sosmeta, "sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas (env KANTAMIG_SOSMETA; default: the ones built in)")
	fs.StringVar(&f.anchors, "trust-anchor", "", "PEM file of the CA certificates a signing certificate must chain to (DVV's); without it, chains are not checked")
	fs.StringVar(&f.organisation, "organisation", "", "OID of the organisation whose certificate must have made every system signature")
}

// config builds the judge's configuration. open says that, without a
// mapping, codes outside the built-in code sets are named but not refused
// (verify, which cannot know the run's code sets otherwise).
func (f *judgeFlags) config(open bool) (archive.Config, error) {
	cfg := archive.Config{SchemaDir: f.sosmeta, Organisation: f.organisation}
	if f.mapping != "" {
		m, _, err := pipeline.LoadWithoutSources(f.mapping, f.sosmeta)
		if err != nil {
			return cfg, err
		}
		cfg.Codes, cfg.Rehearsal = m.CodeSets, m.TestRehearsal
	} else {
		cfg.OpenCodes = open
	}
	if f.anchors != "" {
		pool, err := readAnchors(f.anchors)
		if err != nil {
			return cfg, err
		}
		cfg.Anchors = pool
	}
	return cfg, nil
}

// readAnchors reads every certificate of a PEM file into a pool.
func readAnchors(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the trust anchors: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the trust anchors in %s: %w", path, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate to trust", path)
	}
	return pool, nil
}
