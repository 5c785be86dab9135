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
	InferServiceRequest   = "inferred-service-request"
	InferCaseDocument     = "case-document-shape"
	InferDisplayOnly      = "display-only-document"
	InferCorrectionAsText = "correction-reason-as-text"
)

// Inferences is every inference a document may rest on.
var Inferences = []Inference{
	{InferServiceRequest, "a case document or replacing version is sent with the service request SP17 (the one client documents use): no source names its own",
		"DOMAIN §5.2", "the archive's message specification of case documents and replacing versions", "service_requests in the mapping"},
	{InferCaseDocument, "a case document (Asia-asiakirja) is filed in document group 2, read from its Sosmeta OID, and its frame has no encounter while the plan's frame has one",
		"DOMAIN §3, §5.2a", "an archived case document, or the archive's specification of the case document and its message", ""},
	{InferDisplayOnly, "a client document carries the display form only: no structured form, contentSpecificationId, structuredFileFormat or specific document type (no Sosmeta structure is mapped for it)",
		"DOMAIN §3.2", "the archive accepting a client document without a structured form (a real sample of one), or a structure mapped for its type (structured: in the mapping)", "structured: in the mapping"},
	{InferCorrectionAsText, "a replacing version gives its reasonOfCorrection as free text, while the Apotti template shows a coded element",
		"DOMAIN §3.3", "the code set of the reasons of correction and the archive's specification of replacing versions", ""},
}
