// Package token opens the organisation's signing key on a PKCS#11 token (a
// hardware security module or smart card in production, SoftHSM2 in tests)
// through crypto11, so that the key never leaves the token.
//
// One crypto11 context serves the whole process: PKCS#11 login state belongs
// to the process, and a second context would silently share the first one's
// login. Each concurrent signature uses its own session from crypto11's pool;
// the pool is sized for the signing workers, and waiting for a session times
// out, so a stalled token shows up as an error instead of a hang. A wrong PIN
// is never retried: real tokens lock after a few wrong tries.
package token

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/kantamig/kantamig/internal/secret"
)

// Config says which token and key to use. PIN is never printed or logged.
type Config struct {
	Module      string // PKCS#11 module (shared library) path
	TokenLabel  string
	TokenSerial string
	KeyLabel    string
	KeyID       string // hex
	PIN         string
	Workers     int           // concurrent signers; sessions are sized for them
	WaitTimeout time.Duration // how long a signature may wait for a free session
}

// DefaultModule is SoftHSM2's module on Debian.
const DefaultModule = "/usr/lib/softhsm/libsofthsm2.so"

// FromEnv fills unset fields from the environment: KANTAMIG_PKCS11_MODULE,
// KANTAMIG_TOKEN_LABEL, KANTAMIG_TOKEN_SERIAL, KANTAMIG_KEY_LABEL,
// KANTAMIG_KEY_ID and the PIN from KANTAMIG_PIN or the file
// KANTAMIG_PIN_FILE names (package internal/secret).
func (c *Config) FromEnv() error {
	set := func(dst *string, env string) {
		if *dst == "" {
			*dst = os.Getenv(env)
		}
	}
	set(&c.Module, "KANTAMIG_PKCS11_MODULE")
	set(&c.TokenLabel, "KANTAMIG_TOKEN_LABEL")
	set(&c.TokenSerial, "KANTAMIG_TOKEN_SERIAL")
	set(&c.KeyLabel, "KANTAMIG_KEY_LABEL")
	set(&c.KeyID, "KANTAMIG_KEY_ID")
	if c.Module == "" {
		c.Module = DefaultModule
	}
	if c.PIN == "" {
		pin, err := secret.Get("KANTAMIG_PIN")
		if err != nil {
			return fmt.Errorf("the token's PIN: %w", err)
		}
		c.PIN = pin
	}
	return nil
}

// Token is an open token with the signing key found.
type Token struct {
	ctx  *crypto11.Context
	Key  crypto.Signer
	Cert *x509.Certificate
}

// ErrWrongPIN means the token refused the PIN. Nothing was signed.
var ErrWrongPIN = errors.New("the token refused the PIN; nothing was signed. Check KANTAMIG_PIN (or the file KANTAMIG_PIN_FILE names). kantamig never tries a PIN twice: tokens lock after a few wrong tries")

// ErrNoPIN means no PIN was given.
var ErrNoPIN = errors.New("no PIN for the token: set KANTAMIG_PIN, or KANTAMIG_PIN_FILE to a file holding it, or run on a terminal to be asked for it")

// KeyNotFoundError says the key is not on the token and lists what is.
type KeyNotFoundError struct {
	Label, ID string
	Available []string
}

func (e *KeyNotFoundError) Error() string {
	want := "label " + e.Label
	if e.ID != "" {
		want = "id " + e.ID
	}
	if len(e.Available) == 0 {
		return fmt.Sprintf("no key with %s on the token, and the token has no key pairs", want)
	}
	return fmt.Sprintf("no key with %s on the token; it has keys labelled: %s", want, strings.Join(e.Available, ", "))
}

// Open logs in to the token and finds the key and its certificate.
func Open(cfg Config) (*Token, error) {
	if cfg.PIN == "" {
		return nil, ErrNoPIN
	}
	if cfg.TokenLabel == "" && cfg.TokenSerial == "" {
		return nil, errors.New("name the token: --token-label or --token-serial (or KANTAMIG_TOKEN_LABEL)")
	}
	if cfg.KeyLabel == "" && cfg.KeyID == "" {
		return nil, errors.New("name the key: --key-label or --key-id (or KANTAMIG_KEY_LABEL)")
	}
	if _, err := os.Stat(cfg.Module); err != nil {
		return nil, fmt.Errorf("PKCS#11 module %s: %w (install the token's module, e.g. softhsm2, or give --pkcs11-module)", cfg.Module, err)
	}
	workers := max(cfg.Workers, 1)
	wait := cfg.WaitTimeout
	if wait == 0 {
		wait = 30 * time.Second
	}
	ctx, err := crypto11.Configure(&crypto11.Config{
		Path:        cfg.Module,
		TokenLabel:  cfg.TokenLabel,
		TokenSerial: cfg.TokenSerial,
		Pin:         cfg.PIN,
		// crypto11 keeps one session for the login; the rest serve the workers.
		MaxSessions:     workers + 2,
		PoolWaitTimeout: wait,
	})
	if err != nil {
		return nil, classify(err, cfg)
	}
	t := &Token{ctx: ctx}
	var id []byte
	if cfg.KeyID != "" {
		if id, err = hex.DecodeString(cfg.KeyID); err != nil {
			ctx.Close()
			return nil, fmt.Errorf("key id %q is not hex", cfg.KeyID)
		}
	}
	var label []byte
	if cfg.KeyLabel != "" {
		label = []byte(cfg.KeyLabel)
	}
	keys, err := ctx.FindKeyPairs(id, label)
	if err != nil {
		ctx.Close()
		return nil, fmt.Errorf("looking for the key: %w", err)
	}
	switch {
	case len(keys) == 0:
		available := t.keyLabels()
		ctx.Close()
		return nil, &KeyNotFoundError{Label: cfg.KeyLabel, ID: cfg.KeyID, Available: available}
	case len(keys) > 1:
		ctx.Close()
		return nil, fmt.Errorf("%d key pairs match; name the key by both --key-label and --key-id", len(keys))
	}
	key := keys[0]
	cert, err := ctx.FindCertificate(id, label, nil)
	if err != nil || cert == nil {
		ctx.Close()
		return nil, fmt.Errorf("the key has no certificate on the token (store the organisation's certificate with the key's label or id)")
	}
	t.Key, t.Cert = key, cert
	return t, nil
}

func (t *Token) keyLabels() []string {
	keys, err := t.ctx.FindAllKeyPairs()
	if err != nil {
		return nil
	}
	var labels []string
	for _, k := range keys {
		a, err := t.ctx.GetAttribute(k, crypto11.CkaLabel)
		if err == nil && a != nil {
			labels = append(labels, string(bytes.TrimRight(a.Value, "\x00")))
		}
	}
	sort.Strings(labels)
	return labels
}

// classify turns crypto11's errors into ones a person can act on. The PIN is
// never part of them.
func classify(err error, cfg Config) error {
	var p11 pkcs11.Error
	if errors.As(err, &p11) {
		switch p11 {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
			return ErrWrongPIN
		case pkcs11.CKR_PIN_LOCKED:
			return errors.New("the token's PIN is locked; its security officer must unlock it")
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "could not find PKCS#11 token") {
		name := "label " + cfg.TokenLabel
		if cfg.TokenSerial != "" {
			name = "serial " + cfg.TokenSerial
		}
		return fmt.Errorf("no token with %s is present in module %s (check the reader, the label, and SOFTHSM2_CONF for SoftHSM)", name, cfg.Module)
	}
	return fmt.Errorf("opening the token: %s", strings.ReplaceAll(msg, cfg.PIN, "****"))
}

// Close logs out and releases the sessions.
func (t *Token) Close() error { return t.ctx.Close() }

// OpenForSetup logs in and finds a key that has no certificate yet (for the
// token setup tool).
func OpenForSetup(cfg Config) (*crypto11.Context, crypto.Signer, error) {
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN})
	if err != nil {
		return nil, nil, classify(err, cfg)
	}
	key, err := ctx.FindKeyPair(nil, []byte(cfg.KeyLabel))
	if err != nil || key == nil {
		ctx.Close()
		return nil, nil, &KeyNotFoundError{Label: cfg.KeyLabel}
	}
	return ctx, key, nil
}
