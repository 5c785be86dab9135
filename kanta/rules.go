package kanta

// The rules a record can fail, be skipped by or be warned about: every
// stage names its findings with these, so that the report, the state store
// and the documentation speak of one list (Rules, which docs/mapping.md
// lists whole).
const (
	// Mapping: one record's fields.
	RuleRequired          = "required"           // a required field is empty
	RuleDate              = "date"               // not a date in the declared pattern
	RuleDateOrder         = "date-order"         // an end before its start
	RuleInteger           = "integer"            // not a whole number
	RuleBool              = "bool"               // not one of the declared true/false values
	RuleCodeSet           = "code-set"           // a code outside its national code set
	RuleUnmappedCode      = "unmapped-code"      // a legacy value no value map covers
	RuleOID               = "oid"                // not an OID
	RuleKey               = "key"                // the record has no key
	RuleEncoding          = "encoding"           // bytes outside the declared encoding
	RuleFieldCount        = "field-count"        // a CSV line with more or fewer fields than the header
	RuleUnexpectedElement = "unexpected-element" // an XML element at the record level under another name
	RuleNoCase            = "no-case"            // a document without a case
	RuleHetuFormat        = "hetu-format"        // identity code: not DDMMYYCNNNQ
	RuleHetuCentury       = "hetu-century"       // identity code: unknown century sign
	RuleHetuDate          = "hetu-date"          // identity code: impossible birth date
	RuleHetuIndividual    = "hetu-individual"    // identity code: individual number below 002
	RuleHetuCheck         = "hetu-check"         // identity code: wrong check character
	RuleCutoff            = "cutoff"             // skipped: created on or after the cut-off
	RuleAddressEnded      = "address-ended"      // skipped: a former address, which the relationship document does not keep

	// Resolving: records across entities.
	RuleDuplicateKey         = "duplicate-key"           // a second record with a key already read
	RuleDuplicatePerson      = "duplicate-person"        // a second client with the same identity code
	RuleClientMissing        = "client-missing"          // the referred client is not in the export
	RuleClientNotLoaded      = "client-not-loaded"       // the referred client is rejected or skipped
	RuleUnknownClient        = "unknown-client"          // no client to be migrated has the identity code a record names
	RuleMissingDate          = "missing-date"            // a date every record needs (start, opened, drawn up) is empty
	RuleCollectedEmpty       = "collected-case-empty"    // a case made for documents without a case got none of them
	RuleCaseNoClient         = "case-no-client"          // no member of a case is migrated
	RuleAddressHidden        = "address-non-disclosure"  // skipped: the address of a client under non-disclosure is not shown
	RuleServiceTaskNotLoaded = "service-task-not-loaded" // the client has no migrated relationship in the record's service task
	RuleCaseMissing          = "case-missing"            // the referred case is not in the export
	RuleCaseNotLoaded        = "case-not-loaded"         // the referred case is rejected or skipped
	RuleCaseClient           = "case-client"             // the document's client is not a client of its case
	RuleReplacesMissing      = "replaces-missing"        // the replaced version is not in the export before it
	RuleReplacesNotLoaded    = "replaces-not-loaded"     // the replaced version is rejected or skipped
	RuleVersionOrder         = "version-order"           // a version number not after the one it replaces

	// Transforming: the archive document.
	RuleTransform        = "transform"          // the document could not be built
	RuleStructuredForm   = "structured-form"    // the structured form fails its Sosmeta schema
	RuleDocumentTooLarge = "document-too-large" // over --max-document-bytes

	// Delivering.
	RuleDelivery        = "delivery"         // the sink failed; the record stays pending
	RuleArchiveRejected = "archive-rejected" // the archive refused the document for good

	// Warnings: the record loads, with a note.
	RuleXMLChar       = "xml-char"       // characters XML cannot carry were removed
	RuleFallbackCode  = "fallback-code"  // an unmapped value took the declared fallback code
	RuleTemporaryID   = "temporary-id"   // a client known by a temporary identifier only
	RuleSexCode       = "sex-code"       // the sex given contradicts the identity code's
	RuleBeforeBirth   = "before-birth"   // a record dated before its client was born
	RuleNonDisclosure = "non-disclosure" // contact data left out of a client's document under non-disclosure
	RuleTypePrefix    = "type-prefix"    // a specific type that does not belong to the general type
	// RuleChangedAfterDelivery: a record delivered in an earlier pass of the
	// run whose document would now differ; the archive keeps what it got.
	RuleChangedAfterDelivery = "changed-after-delivery"
)

// Rule kinds: what a finding under a rule does to its record.
const (
	RuleRejects = "rejects"
	RuleSkips   = "skips"
	RuleWarns   = "warns"
	RuleFails   = "fails delivery"
)

// RuleInfo describes one rule.
type RuleInfo struct {
	Name  string
	Stage string // mapping, resolve, transform, load
	Kind  string // RuleRejects, RuleSkips, RuleWarns, RuleFails
}

// Rules is every rule, in the order the stages meet them.
var Rules = []RuleInfo{
	{RuleRequired, "mapping", RuleRejects}, {RuleDate, "mapping", RuleRejects}, {RuleDateOrder, "mapping", RuleRejects},
	{RuleInteger, "mapping", RuleRejects}, {RuleBool, "mapping", RuleRejects}, {RuleCodeSet, "mapping", RuleRejects},
	{RuleUnmappedCode, "mapping", RuleRejects}, {RuleOID, "mapping", RuleRejects}, {RuleKey, "mapping", RuleRejects},
	{RuleEncoding, "mapping", RuleRejects}, {RuleFieldCount, "mapping", RuleRejects}, {RuleUnexpectedElement, "mapping", RuleRejects},
	{RuleNoCase, "mapping", RuleRejects}, {RuleHetuFormat, "mapping", RuleRejects}, {RuleHetuCentury, "mapping", RuleRejects},
	{RuleHetuDate, "mapping", RuleRejects}, {RuleHetuIndividual, "mapping", RuleRejects}, {RuleHetuCheck, "mapping", RuleRejects},
	{RuleCutoff, "mapping", RuleSkips}, {RuleAddressEnded, "mapping", RuleSkips},
	{RuleDuplicateKey, "resolve", RuleRejects}, {RuleDuplicatePerson, "resolve", RuleRejects},
	{RuleClientMissing, "resolve", RuleRejects}, {RuleClientNotLoaded, "resolve", RuleRejects}, {RuleUnknownClient, "resolve", RuleRejects}, {RuleMissingDate, "mapping", RuleRejects}, {RuleCollectedEmpty, "stage", RuleSkips}, {RuleCaseNoClient, "stage", RuleRejects}, {RuleAddressHidden, "resolve", RuleSkips}, {RuleServiceTaskNotLoaded, "resolve", RuleRejects},
	{RuleCaseMissing, "resolve", RuleRejects}, {RuleCaseNotLoaded, "resolve", RuleRejects}, {RuleCaseClient, "resolve", RuleRejects},
	{RuleReplacesMissing, "resolve", RuleRejects}, {RuleReplacesNotLoaded, "resolve", RuleRejects}, {RuleVersionOrder, "resolve", RuleRejects},
	{RuleTransform, "transform", RuleRejects}, {RuleStructuredForm, "transform", RuleRejects}, {RuleDocumentTooLarge, "transform", RuleRejects},
	{RuleDelivery, "load", RuleFails}, {RuleArchiveRejected, "load", RuleFails},
	{RuleXMLChar, "mapping", RuleWarns}, {RuleFallbackCode, "mapping", RuleWarns}, {RuleTemporaryID, "mapping", RuleWarns}, {RuleSexCode, "mapping", RuleWarns}, {RuleBeforeBirth, "mapping", RuleWarns}, {RuleNonDisclosure, "mapping", RuleWarns},
	{RuleTypePrefix, "mapping", RuleWarns}, {RuleChangedAfterDelivery, "stage", RuleWarns},
}

// Finding is what a stage says of one record under a rule: why it is
// rejected or skipped, or what a warning is about.
type Finding struct {
	Field  string // the target field it is about, if any
	Rule   string // one of Rules
	Reason string // in plain words, with what to do where it helps
	// Count is how many of something the finding is about (removed
	// characters for xml-char), for the report to add up.
	Count int
}

// RuleKind gives what a finding under the rule does to its record (one of
// RuleRejects, RuleSkips, RuleWarns, RuleFails), "" for an unknown rule.
func RuleKind(name string) string {
	for _, r := range Rules {
		if r.Name == name {
			return r.Kind
		}
	}
	return ""
}
