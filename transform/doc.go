// Package transform turns model values into unsigned archive documents: an
// HL7 CDA R2 ClinicalDocument with the Finnish social-welfare header
// (urn:hl7finland localSocialHeader), whose nonXMLBody carries the XHTML
// display form and, where a Sosmeta structure exists for the document's type,
// the structured JSON form, both Base64-encoded.
//
// The header follows DOMAIN.md §3.3 and the Apotti examples in
// reference/kanta-samples. Where those show nothing (the case document, a
// replaced version), the choices are marked "inferred" at the place they are
// made. The structured form is built from the schema itself: well-known parts
// (asiakas, laatija, palvelutehtava, ...) are filled from the model, the rest
// from the mapping's structured fields, and the result is validated against the
// schema before anything is signed. A document whose structured form does not
// validate is rejected with the schema's words, never sent half-built.
//
// Every document is checked to be well-formed XML before it leaves this package.
package transform
