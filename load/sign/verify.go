package sign

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Result is the outcome of checking one signature.
type Result struct {
	ID          string
	Type        string // signatureDescription code
	Timestamp   string
	Subject     string // the certificate's subject
	Certificate *x509.Certificate
	Err         error // nil when the signature is valid
}

// canonical returns the exclusive canonical form of el, with the namespaces in
// scope where it stands.
func canonical(el *etree.Element) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(detached)
}

// BodyDigest parses a document and returns the SHA-256 of the exclusive
// canonical form of its nonXMLBody with ID "OID<documentOID>".
func BodyDigest(doc []byte, documentOID string) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("parsing document: %w", err)
	}
	el := findByID(d.Root(), "OID"+documentOID)
	if el == nil {
		return nil, fmt.Errorf("document has no element with ID OID%s", documentOID)
	}
	c, err := canonical(el)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(c)
	return sum[:], nil
}

func findByID(root *etree.Element, id string) *etree.Element {
	if root.SelectAttrValue("ID", "") == id {
		return root
	}
	for _, c := range root.ChildElements() {
		if e := findByID(c, id); e != nil {
			return e
		}
	}
	return nil
}

// ErrNoSignature is reported for a document that carries no signature.
var ErrNoSignature = errors.New("no signature in the document")

// Verify checks every XMLDSig signature in a document's signatureCollection:
// each reference's digest, the signature value against the certificate in
// KeyInfo, and that the references cover the document's nonXMLBody and the
// signature's own timestamp. It returns one Result per signature.
func Verify(doc []byte) ([]Result, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("parsing document: %w", err)
	}
	root := d.Root()
	if root == nil {
		return nil, errors.New("empty document")
	}
	body := findBody(root)
	var results []Result
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.Tag == "signature" && c.NamespaceURI() == NamespaceFI && c.Parent() != nil && c.Parent().Tag == "signatureCollection" {
				results = append(results, verifyOne(root, body, c))
				continue
			}
			walk(c)
		}
	}
	walk(root)
	if len(results) == 0 {
		return nil, ErrNoSignature
	}
	return results, nil
}

func findBody(root *etree.Element) *etree.Element {
	var found *etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if found != nil {
				return
			}
			if c.Tag == "nonXMLBody" && c.NamespaceURI() == NamespaceCDA {
				found = c
				return
			}
			walk(c)
		}
	}
	walk(root)
	return found
}

func child(e *etree.Element, ns, tag string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func verifyOne(root, body, sigEl *etree.Element) Result {
	r := Result{ID: sigEl.SelectAttrValue("ID", "")}
	if desc := child(sigEl, NamespaceFI, "signatureDescription"); desc != nil {
		r.Type = desc.SelectAttrValue("code", "")
	}
	ts := child(sigEl, NamespaceFI, "signatureTimestamp")
	if ts != nil {
		r.Timestamp = strings.TrimSpace(ts.Text())
	}
	ds := child(sigEl, NamespaceDSig, "Signature")
	if ds == nil {
		r.Err = errors.New("signature element holds no ds:Signature")
		return r
	}
	r.Err = func() error {
		cert, err := certificate(ds)
		if err != nil {
			return err
		}
		r.Certificate, r.Subject = cert, cert.Subject.String()
		si := child(ds, NamespaceDSig, "SignedInfo")
		if si == nil {
			return errors.New("no SignedInfo")
		}
		if alg := child(si, NamespaceDSig, "CanonicalizationMethod").SelectAttrValue("Algorithm", ""); alg != AlgExcC14N {
			return fmt.Errorf("canonicalisation %q, the profile uses exclusive c14n", alg)
		}
		if alg := child(si, NamespaceDSig, "SignatureMethod").SelectAttrValue("Algorithm", ""); alg != AlgRSASHA256 {
			return fmt.Errorf("signature method %q, the profile uses RSA-SHA256", alg)
		}
		covered := map[*etree.Element]bool{}
		for _, ref := range si.ChildElements() {
			if ref.Tag != "Reference" {
				continue
			}
			target, err := checkReference(root, ref)
			if err != nil {
				return err
			}
			covered[target] = true
		}
		if body == nil || !covered[body] {
			return errors.New("the signature does not cover the document body (nonXMLBody)")
		}
		if ts == nil || !covered[ts] {
			return errors.New("the signature does not cover its timestamp")
		}
		c, err := canonical(si)
		if err != nil {
			return fmt.Errorf("canonicalising SignedInfo: %w", err)
		}
		value, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(child(ds, NamespaceDSig, "SignatureValue").Text()), ""))
		if err != nil {
			return fmt.Errorf("SignatureValue is not Base64: %w", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("certificate key is %T, not RSA", cert.PublicKey)
		}
		sum := sha256.Sum256(c)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], value); err != nil {
			return errors.New("signature value does not match SignedInfo and the certificate's key")
		}
		return nil
	}()
	return r
}

func certificate(ds *etree.Element) (*x509.Certificate, error) {
	x := child(child(child(ds, NamespaceDSig, "KeyInfo"), NamespaceDSig, "X509Data"), NamespaceDSig, "X509Certificate")
	if x == nil {
		return nil, errors.New("no certificate in KeyInfo")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(x.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("certificate is not Base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return cert, nil
}

// checkReference recomputes one reference's digest and returns its target.
func checkReference(root, ref *etree.Element) (*etree.Element, error) {
	uri := ref.SelectAttrValue("URI", "")
	if !strings.HasPrefix(uri, "#") {
		return nil, fmt.Errorf("reference %q: only same-document references by ID are in the profile", uri)
	}
	target := findByID(root, uri[1:])
	if target == nil {
		return nil, fmt.Errorf("reference %q points at no element", uri)
	}
	if transforms := child(ref, NamespaceDSig, "Transforms"); transforms != nil {
		for _, t := range transforms.ChildElements() {
			switch alg := t.SelectAttrValue("Algorithm", ""); alg {
			case AlgExcC14N, AlgEnveloped:
				// Enveloped: the profile's references never contain their signature.
			default:
				return nil, fmt.Errorf("reference %q: unsupported transform %q", uri, alg)
			}
		}
	}
	if alg := child(ref, NamespaceDSig, "DigestMethod").SelectAttrValue("Algorithm", ""); alg != AlgSHA256 {
		return nil, fmt.Errorf("reference %q: digest %q, the profile uses SHA-256", uri, alg)
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(child(ref, NamespaceDSig, "DigestValue").Text()))
	if err != nil {
		return nil, fmt.Errorf("reference %q: digest is not Base64", uri)
	}
	c, err := canonical(target)
	if err != nil {
		return nil, fmt.Errorf("reference %q: canonicalising: %w", uri, err)
	}
	got := sha256.Sum256(c)
	if !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("reference %q: digest does not match: the content changed after signing", uri)
	}
	return target, nil
}
