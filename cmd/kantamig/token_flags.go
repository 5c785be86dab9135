package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kantamig/kantamig/eventlog"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/token"
)

// tokenFlags are the flags that choose the signing token and key; each has an
// environment variable too. The PIN is never a flag: it comes from
// KANTAMIG_PIN or a prompt on the terminal.
type tokenFlags struct {
	cfg     token.Config
	workers int
	// allowForeign signs with a certificate that is not the mapping's
	// custodian's, or not valid now (a rehearsal with a borrowed token).
	allowForeign bool
}

func (f *tokenFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cfg.Module, "pkcs11-module", "", "PKCS#11 module path (env KANTAMIG_PKCS11_MODULE; default "+token.DefaultModule+")")
	fs.StringVar(&f.cfg.TokenLabel, "token-label", "", "token label (env KANTAMIG_TOKEN_LABEL)")
	fs.StringVar(&f.cfg.TokenSerial, "token-serial", "", "token serial number (env KANTAMIG_TOKEN_SERIAL)")
	fs.StringVar(&f.cfg.KeyLabel, "key-label", "", "signing key label (env KANTAMIG_KEY_LABEL)")
	fs.StringVar(&f.cfg.KeyID, "key-id", "", "signing key id, hex (env KANTAMIG_KEY_ID)")
	fs.IntVar(&f.workers, "workers", 2, "signing workers, each with its own token session")
	fs.BoolVar(&f.allowForeign, "allow-foreign-certificate", false, "sign even when the token's certificate is not the custodian's or not valid now (a rehearsal only: the archive refuses such signatures); said in the output and the report")
}

// checkCertificate holds the token's certificate to the organisation the
// mapping names as custodian, before anything is signed; with
// --allow-foreign-certificate it warns instead, and returns what the
// report's signer line says of it.
func (f *tokenFlags) checkCertificate(tok *token.Token, custodian string, log *eventlog.Log) (string, error) {
	err := sign.CheckCertificate(tok.Cert, custodian, time.Now())
	if err == nil {
		return "", nil
	}
	if !f.allowForeign {
		return "", err
	}
	log.Warn("foreign-certificate", fmt.Sprintf("%v; signing anyway (--allow-foreign-certificate): the archive would refuse these signatures", err))
	return " — FOREIGN CERTIFICATE ALLOWED (--allow-foreign-certificate)", nil
}

// open opens the token, asking for the PIN on the terminal if KANTAMIG_PIN is
// not set. The PIN is asked once and never retried.
func (f *tokenFlags) open(stderr io.Writer) (*token.Token, *sign.Signer, error) {
	if err := f.cfg.FromEnv(); err != nil {
		return nil, nil, err
	}
	f.cfg.Workers = f.workers
	if f.cfg.PIN == "" && term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprintf(stderr, "PIN for token %s: ", f.cfg.TokenLabel+f.cfg.TokenSerial)
		pin, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the PIN: %w", err)
		}
		f.cfg.PIN = string(pin)
	}
	tok, err := token.Open(f.cfg)
	f.cfg.PIN = ""
	if err != nil {
		return nil, nil, err
	}
	signer, err := sign.NewSigner(tok.Key, tok.Cert)
	if err != nil {
		tok.Close()
		return nil, nil, err
	}
	return tok, signer, nil
}
