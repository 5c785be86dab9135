package kanta

// An Inference is a choice a document carries that no national source in
// hand confirms: read from a related source, an example or a schema's
// shape, rather than stated by the archive's specification. Each is
// counted per document in the report (transform says which a document
// rests on), so that a team sees how much of a migration rests on it and
// what would confirm it. docs/national-rules.md lists them.
type Inference struct {
	Name    string
	Meaning string // what the documents carry
	Domain  string // where DOMAIN.md says it
	Confirm string // what would confirm or correct it
	Switch  string // the mapping's setting that states the alternative, if there is one
}

// Names of the inferences.
const (
	InferServiceRequest    = "inferred-service-request"
	InferCaseDocument      = "case-document-shape"
	InferDisplayOnly       = "display-only-document"
	InferCorrectionUncoded = "correction-reason-uncoded"
	InferMinorDisclosure   = "minor-disclosure-default"
	InferGeneralType       = "general-type-without-sample"
	InferDocumentGroup     = "document-group-5"
	InferSystemSignature   = "system-signature-only"
	InferFramePerformer    = "frame-performer-organisation"
	InferMinimalStructure  = "minimal-structured-form"
	InferPDFA              = "pdfa-storage-form"
	InferAttachment        = "attachment-appended"
)

// Inferences is every inference a document may rest on.
var Inferences = []Inference{
	{InferServiceRequest, "a case document or replacing version is sent with the service request SP17 (the one client documents use): no source names its own",
		"DOMAIN §5.2", "the archive's message specification of case documents and replacing versions", "service_requests in the mapping"},
	{InferCaseDocument, "a case document (Asia-asiakirja) is filed in document group 2, read from its Sosmeta OID, with the header and frame of the plan sample (no case document sample exists)",
		"DOMAIN §1.4, §3.3", "an archived case document, or the archive's specification of the case document and its message", ""},
	{InferDisplayOnly, "a client document carries the display form only: no structured form, contentSpecificationId, structuredFileFormat or specific document type (no Sosmeta structure is mapped for it)",
		"DOMAIN §3.2", "the archive accepting a client document without a structured form (a real sample of one), or a structure mapped for its type (structured: in the mapping)", "display_only_documents states it (without it such a document is rejected, rule no-structure); structured: maps a structure"},
	{InferPDFA, "a document whose body is a PDF or a TIFF scan is carried as PDF/A-1b in the nonXMLBody's text (mediaType application/pdf, representation B64) with no display form or structured form of its own, its header's fileFormat the PDF/A code of the display-format set: the archive standard names a PDF/A storage form, but its chapter is not in hand; PDF/A-1b is what the IHE scanned-documents profile requires",
		"DOMAIN §3 (S4), §1.2", "the archive standard's chapter on storing PDF/A documents (allowed parts, media type, which types), and the national export of the display-format code set", "pdfa_documents states it (without it such a document is rejected, rule no-pdfa-route)"},
	{InferAttachment, "an attachment is archived as a client document of its own, related to the document it is attached to by relatedDocument typeCode APND (CDA's addendum) and archived after it, at its time when its own date is earlier",
		"DOMAIN §3.3", "the archive's specification of attachments to client documents", "attached_to in the mapping names them (without it an attachment is a document on its own)"},
	{InferMinimalStructure, "a structured form holds only what the header also says (client, author, service task, social services): no legacy field is mapped into it, and the record's content is the display form's text",
		"DOMAIN §1.2, §3.2", "the archive accepting a structured form with only these fields, or the legacy record's fields mapped into it (structured: in the mapping)", "structured: in the mapping"},
	{InferCorrectionUncoded, "a replacing version's hl7fi:reasonOfCorrection is the template's coded element with nullFlavor (OTH: the legacy reason is text; NI: none recorded), since the code set of the reasons is not known; the reason's text is in the display form",
		"DOMAIN §3.3", "the code set of the reasons of correction and the archive's specification of replacing versions", ""},
	{InferMinorDisclosure, "the client was under 18 when the document was drawn up and the source records no stand on disclosure: authorization/consent carries code 1 (may be disclosed to guardians), the law's rule while the minor has not forbidden it (Laki sosiaalihuollon asiakkaan asemasta 11 §)",
		"DOMAIN §2, §3.3", "the legacy system's record of a minor's refusal, mapped to minor_disclosure", "minor_disclosure in the mapping"},
	{InferGeneralType, "a client document of a general type other than 15 (Suunnitelma), the only one a real sample shows, carries the plan sample's header",
		"DOMAIN §1.2, §3.3", "an archived document of the type, or the archive's document standard on the general types", ""},
	{InferDocumentGroup, "a pre-joining client document is filed in document group 5 (Toisen tai myöhemmän vaiheen asiakasasiakirja), as the live plan sample is",
		"DOMAIN §1.1", "the archive's standard on the groups of documents archived from before joining", ""},
	{InferSystemSignature, "a document with a named author carries only the organisation's system signature (type 3), not the professional's signature the plan sample has: no legacy system kept one that could be carried",
		"DOMAIN §4.2", "the archive accepting system signatures on old client documents (asiakirjastandardi 3.3)", ""},
	{InferFramePerformer, "the message's authorOrPerformer is the organisation with no person (id nullFlavor NA), a migration having no professional at the keyboard; the real frames name a person",
		"DOMAIN §3.4", "the archive's message specification on the performer of a migration's messages", ""},
}
