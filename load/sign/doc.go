// Package sign makes and checks the signatures of archive documents, as the
// Kanta CDA signature profile has them (DOMAIN.md §4): a signature element in
// the Finnish header's signatureCollection, with its type, a signature
// timestamp with its own ID, and an XMLDSig Signature whose SignedInfo has two
// references, the nonXMLBody ("#OID<document id>") and the timestamp, with
// exclusive canonicalisation, SHA-256 digests, RSA-SHA256 and the signing
// certificate in KeyInfo. Only the body and the timestamp are signed; header
// metadata outside them may change without breaking the signature, as the
// profile intends.
//
// Signing splices the signature into the document's bytes just before the end
// of localSocialHeader and changes no other byte. For documents kantamig
// generated itself, the canonical form of the body is known without parsing
// (transform gives its digest); the tests hold that fast path to the
// verifier and to xmlsec1 for every kind of document.
//
// Verification never trusts the signer's own shortcut: it parses the document
// with etree, finds the referenced elements by ID and canonicalises them with
// goxmldsig's exclusive canonicaliser.
package sign
