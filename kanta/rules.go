package kanta

// The rules a record can fail, be skipped by or be warned about: every
// stage names its findings with these, so that the report, the state store
// and the documentation speak of one list (Rules, which docs/mapping.md
// lists whole, each with its meaning).
const (
	// Mapping: one record's fields.
	RuleRequired          = "required"
	RuleDate              = "date"
	RuleDateOrder         = "date-order"
	RuleInteger           = "integer"
	RuleBool              = "bool"
	RuleCodeSet           = "code-set"
	RuleUnmappedCode      = "unmapped-code"
	RuleOID               = "oid"
	RuleKey               = "key"
	RuleEncoding          = "encoding"
	RuleFieldCount        = "field-count"
	RuleUnexpectedElement = "unexpected-element"
	RuleNoCase            = "no-case"
	RuleHetuFormat        = "hetu-format"
	RuleHetuCentury       = "hetu-century"
	RuleHetuDate          = "hetu-date"
	RuleHetuIndividual    = "hetu-individual"
	RuleHetuCheck         = "hetu-check"
	RuleCutoff            = "cutoff"
	RuleAddressEnded      = "address-ended"
	RuleSampledOut        = "sampled-out"
	RuleFileMissing       = "file-missing"
	RuleFileOutsideRoot   = "file-outside-root"
	RuleTruncated         = "truncated"

	// Resolving: records across entities.
	RuleDuplicateKey              = "duplicate-key"
	RuleDuplicatePerson           = "duplicate-person"
	RuleClientMissing             = "client-missing"
	RuleClientNotLoaded           = "client-not-loaded"
	RuleUnknownClient             = "unknown-client"
	RuleMissingDate               = "missing-date"
	RuleCollectedEmpty            = "collected-case-empty"
	RuleCaseNoClient              = "case-no-client"
	RuleAddressHidden             = "address-non-disclosure"
	RuleServiceTaskNotLoaded      = "service-task-not-loaded"
	RuleCaseMissing               = "case-missing"
	RuleCaseNotLoaded             = "case-not-loaded"
	RuleCaseClient                = "case-client"
	RuleReplacesMissing           = "replaces-missing"
	RuleReplacesNotLoaded         = "replaces-not-loaded"
	RuleVersionOrder              = "version-order"
	RuleAttachmentParentMissing   = "attachment-parent-missing"
	RuleAttachmentParentNotLoaded = "attachment-parent-not-loaded"
	RuleAttachmentClient          = "attachment-client"
	RulePeriodOverlap             = "period-overlap"

	// Transforming: the archive document.
	RuleTransform        = "transform"
	RuleStructuredForm   = "structured-form"
	RuleDocumentTooLarge = "document-too-large"
	RulePlaceholderCode  = "placeholder-code"
	RuleNoStructure      = "no-structure"
	RuleBodyUnreadable   = "body-unreadable"
	RuleNoPDFARoute      = "no-pdfa-route"
	RulePDFAInvalid      = "pdfa-invalid"

	// Delivering.
	RuleDelivery        = "delivery"
	RuleArchiveRejected = "archive-rejected"
	RuleHeldBack        = "held-back"

	// Warnings: the record loads, with a note.
	RuleXMLChar              = "xml-char"
	RuleLocalTime            = "local-time"
	RuleOutsidePeriod        = "outside-period"
	RuleFallbackCode         = "fallback-code"
	RuleSexCode              = "sex-code"
	RuleBeforeBirth          = "before-birth"
	RuleNonDisclosure        = "non-disclosure"
	RuleTypePrefix           = "type-prefix"
	RuleTypeServiceTask      = "type-service-task"
	RuleDisplayOnly          = "display-only"
	RuleBodyConverted        = "body-converted"
	RulePDFACarried          = "pdfa"
	RuleChangedAfterDelivery = "changed-after-delivery"
	RuleAttachment           = "attachment"
	RuleRehearsalCode        = "rehearsal-placeholder"
	RuleInferredRequest      = "inferred-service-request"
	RuleEmptySource          = "empty-source"
	RuleGoneFromSource       = "gone-from-source"
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
	Name    string
	Stage   string // mapping, resolve, transform, load
	Kind    string // RuleRejects, RuleSkips, RuleWarns, RuleFails
	Meaning string // when the rule applies, in plain words (the report and docs/mapping.md show it)
}

// Rules is every rule, in the order the stages meet them.
var Rules = []RuleInfo{
	{RuleRequired, "mapping", RuleRejects, "a required field is empty"},
	{RuleDate, "mapping", RuleRejects, "not a date in the declared pattern"},
	{RuleDateOrder, "mapping", RuleRejects, "an end before its start"},
	{RuleInteger, "mapping", RuleRejects, "not a whole number"},
	{RuleBool, "mapping", RuleRejects, "not one of the declared true/false values"},
	{RuleCodeSet, "mapping", RuleRejects, "a code outside its national code set"},
	{RuleUnmappedCode, "mapping", RuleRejects, "a legacy value no value map covers"},
	{RuleOID, "mapping", RuleRejects, "not an OID"},
	{RuleKey, "mapping", RuleRejects, "the record has no key"},
	{RuleEncoding, "mapping", RuleRejects, "bytes outside the declared encoding"},
	{RuleFieldCount, "mapping", RuleRejects, "a CSV line with more or fewer fields than the header"},
	{RuleUnexpectedElement, "mapping", RuleRejects, "an XML element at the record level under another name, or named as the records elsewhere"},
	{RuleNoCase, "mapping", RuleRejects, "a document without a case"},
	{RuleFileMissing, "mapping", RuleRejects, "the file a column names (file_root) is not there"},
	{RuleFileOutsideRoot, "mapping", RuleRejects, "the path a column names leads outside the mapping's file_root"},
	{RuleTruncated, "mapping", RuleRejects, "a value shorter or longer than the length the source gives for it (length_from): cut short on its way out"},
	{RuleHetuFormat, "mapping", RuleRejects, "identity code: not DDMMYYCNNNQ"},
	{RuleHetuCentury, "mapping", RuleRejects, "identity code: unknown century sign"},
	{RuleHetuDate, "mapping", RuleRejects, "identity code: impossible birth date"},
	{RuleHetuIndividual, "mapping", RuleRejects, "identity code: individual number below 002"},
	{RuleHetuCheck, "mapping", RuleRejects, "identity code: wrong check character"},
	{RuleOldIdentityCode, "mapping", RuleRejects, "a pre-joining (old) client relationship without the identity code: a temporary identifier is not enough (national rule)"},
	{RuleOldBirthDate, "mapping", RuleRejects, "a pre-joining (old) client relationship without the birth date (national rule)"},
	{RuleCutoff, "mapping", RuleSkips, "skipped: created on or after the cut-off"},
	{RuleAddressEnded, "mapping", RuleSkips, "skipped: a former address, which the relationship document does not keep"},
	{RuleSampledOut, "stage", RuleSkips, "dry-run --sample: the record's client is outside the sample (every record of the client is left out with it)"},
	{RuleDuplicateKey, "resolve", RuleRejects, "a second record with a key already read"},
	{RuleDuplicatePerson, "resolve", RuleRejects, "a second client with the same identity code"},
	{RuleClientMissing, "resolve", RuleRejects, "the referred client is not in the export"},
	{RuleClientNotLoaded, "resolve", RuleRejects, "the referred client is rejected or skipped"},
	{RuleUnknownClient, "resolve", RuleRejects, "no client to be migrated has the identity code a record names"},
	{RuleMissingDate, "mapping", RuleRejects, "a date every record needs (start, opened, drawn up) is empty"},
	{RuleCollectedEmpty, "stage", RuleSkips, "a case made for documents without a case got none of them"},
	{RuleCaseNoClient, "stage", RuleRejects, "no member of a case is migrated"},
	{RuleAddressHidden, "resolve", RuleSkips, "skipped: the address of a client under non-disclosure is not shown"},
	{RuleServiceTaskNotLoaded, "resolve", RuleRejects, "the client has no migrated relationship in the record's service task"},
	{RuleCaseMissing, "resolve", RuleRejects, "the referred case is not in the export"},
	{RuleCaseNotLoaded, "resolve", RuleRejects, "the referred case is rejected or skipped"},
	{RuleCaseClient, "resolve", RuleRejects, "the document's client is not a client of its case, or the document names only its case and the case is shared"},
	{RuleReplacesMissing, "resolve", RuleRejects, "the replaced version is not in the export before it"},
	{RuleReplacesNotLoaded, "resolve", RuleRejects, "the replaced version is rejected or skipped"},
	{RuleVersionOrder, "resolve", RuleRejects, "a version number not after the one it replaces"},
	{RuleAttachmentParentMissing, "resolve", RuleRejects, "an attachment whose document (attached_to) is not in the export before it"},
	{RuleAttachmentParentNotLoaded, "resolve", RuleRejects, "an attachment whose document is rejected or skipped: it goes with it"},
	{RuleAttachmentClient, "resolve", RuleRejects, "an attachment of another client's document"},
	{RulePeriodOverlap, "resolve", RuleRejects, "a period of a client's relationship in a service task overlaps another of the same task and unit (a second period that does not overlap loads)"},
	{RuleTransform, "transform", RuleRejects, "the document could not be built"},
	{RuleStructuredForm, "transform", RuleRejects, "the structured form fails its Sosmeta schema"},
	{RuleDocumentTooLarge, "transform", RuleRejects, "over --max-document-bytes (any kind; checked on the text before building, on the built document, and on its message frame against --max-message-bytes)"},
	{RuleBodyUnreadable, "transform", RuleRejects, "the document's text could not be read in its format (text_format): an unknown format, an RTF cut short or broken, HTML whose characters cannot be decoded"},
	{RuleNoPDFARoute, "transform", RuleRejects, "the document's body is a PDF or a TIFF scan, while the mapping does not state pdfa_documents: true (the PDF/A route is inferred)"},
	{RulePDFAInvalid, "transform", RuleRejects, "a PDF or TIFF body that cannot be carried as valid PDF/A-1b: damaged (readable only by repair), protected by a password, without pages, or not valid after conversion; the reason is the tool's (Ghostscript, tiff2pdf, PDFBox Preflight)"},
	{RuleNoStructure, "transform", RuleRejects, "a client document with no Sosmeta structure mapped for its type, while the mapping does not state display_only_documents: true"},
	{RulePlaceholderCode, "transform", RuleRejects, "the document would carry a code that is not national (a placeholder) outside a test rehearsal"},
	{RuleDelivery, "load", RuleFails, "the sink failed; the record stays pending"},
	{RuleArchiveRejected, "load", RuleFails, "the archive refused the document: recorded with its answer, the run goes on without it and what depends on it; sent again when its content changed or with --retry-refused"},
	{RuleHeldBack, "load", RuleFails, "waits: a document it depends on (its client's relationship, its case, the version it replaces, or an earlier document of its client) was refused by the archive; sent once that one is"},
	{RuleXMLChar, "mapping", RuleWarns, "characters XML cannot carry were removed"},
	{RuleOutsidePeriod, "resolve", RuleWarns, "a case opened or a document drawn up outside every period of its client's relationship in its service task (it loads)"},
	{RuleLocalTime, "mapping", RuleWarns, "a local time that is not one instant in the mapping's zone: in the hour skipped when summer time begins (read an hour later), or in the hour that happens twice when it ends (the reading is named)"},
	{RuleFallbackCode, "mapping", RuleWarns, "an unmapped value took the declared fallback code"},
	{RuleSexCode, "mapping", RuleWarns, "the sex given contradicts the identity code's"},
	{RuleBeforeBirth, "mapping", RuleWarns, "a record dated before its client was born"},
	{RuleNonDisclosure, "mapping", RuleWarns, "contact data left out of a client's document under non-disclosure"},
	{RuleTypePrefix, "mapping", RuleWarns, "a specific type that does not belong to the general type"},
	{RuleBodyConverted, "transform", RuleWarns, "the document's text was converted from RTF or HTML into the display form: what it holds, the character set it was read in, and what was left out (pictures, scripts)"},
	{RulePDFACarried, "transform", RuleWarns, "a document carried as PDF/A-1b (pdfa_documents): its source file, size and SHA-256, whether it was already PDF/A or converted, by which tools, and structured values a PDF/A document cannot carry"},
	{RuleDisplayOnly, "transform", RuleWarns, "a client document archived with the display form only, as the mapping states (display_only_documents): no Sosmeta structure is mapped for its type"},
	{RuleTypeServiceTask, "transform", RuleWarns, "a specific type whose name places it under one service task (Lapsiperheiden … under Lapsiperheiden palvelut) filed under another"},
	{RuleGoneFromSource, "stage", RuleWarns, "a record an earlier pass of the run read and this one did not: not delivered if it was still pending (skipped, kept under its earlier pass), kept in the archive if delivered"},
	{RuleEmptySource, "extract", RuleWarns, "a source that yielded no records for an entity: a wrong file, sheet, record path or query reads as nothing"},
	{RuleInferredRequest, "transform", RuleWarns, "a case document or replacing version sent with the inferred service request SP17: no source confirms its own, and the mapping states none (service_requests)"},
	{RuleRehearsalCode, "transform", RuleWarns, "test rehearsal: the document carries a placeholder code, which the real archive would refuse"},
	{RuleAttachment, "resolve", RuleWarns, "an attachment, listed under its document: archived as a document of its own after it, in its case, at its time when its own date is earlier (that date named here, and in the title of its display form)"},
	{RuleChangedAfterDelivery, "stage", RuleWarns, "a record delivered in an earlier pass of the run whose document would now differ; the archive keeps what it got"},
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

// RuleMeaning says in plain words when a rule applies, "" for an unknown one.
func RuleMeaning(name string) string {
	for _, r := range Rules {
		if r.Name == name {
			return r.Meaning
		}
	}
	return ""
}

// A record with several faults is rejected for one, the same whatever order
// the mapping's fields are read in, so that its reason points at the fix to
// make first. The classes, first to last:
//
//  1. its own identity: the key, the identity code (the client's own, or one
//     used to name a client), the same person under another key;
//  2. its own fields: values, codes, lengths, the shape of the source row;
//  3. its own dates: unreadable, missing, in the wrong order, the cut-off;
//  4. its references to other records, the most specific first: the case it
//     names and whether its client is a member of it, before the service
//     task the client's relationship must have;
//  5. what happens to it later: building, delivering.
//
// Within a class, the first fault met wins.
const (
	ClassIdentity  = 1
	ClassField     = 2
	ClassDate      = 3
	ClassReference = 4
	ClassLater     = 5
)

var ruleClass = map[string]int{
	RuleKey: ClassIdentity, RuleDuplicateKey: ClassIdentity, RuleEncoding: ClassIdentity,
	RuleHetuFormat: ClassIdentity, RuleHetuCentury: ClassIdentity, RuleHetuDate: ClassIdentity,
	RuleHetuIndividual: ClassIdentity, RuleHetuCheck: ClassIdentity, RuleOldIdentityCode: ClassIdentity,
	RuleDuplicatePerson: ClassIdentity,

	RuleDate: ClassDate, RuleMissingDate: ClassDate, RuleDateOrder: ClassDate, RuleCutoff: ClassDate,
	RuleOldBirthDate: ClassDate,

	RuleClientMissing: ClassReference, RuleClientNotLoaded: ClassReference, RuleUnknownClient: ClassReference,
	RuleCaseMissing: ClassReference, RuleCaseNotLoaded: ClassReference, RuleCaseClient: ClassReference,
	RuleServiceTaskNotLoaded: ClassReference, RuleReplacesMissing: ClassReference, RuleReplacesNotLoaded: ClassReference,
	RuleVersionOrder: ClassReference, RuleAttachmentParentMissing: ClassReference, RuleAttachmentParentNotLoaded: ClassReference, RuleAttachmentClient: ClassReference, RulePeriodOverlap: ClassReference, RuleCaseNoClient: ClassReference,
	RuleCollectedEmpty: ClassReference, RuleNoCase: ClassReference,

	RuleTransform: ClassLater, RuleStructuredForm: ClassLater, RuleDocumentTooLarge: ClassLater,
	RulePlaceholderCode: ClassLater, RuleNoStructure: ClassLater, RuleBodyUnreadable: ClassLater, RuleNoPDFARoute: ClassLater, RulePDFAInvalid: ClassLater, RuleDelivery: ClassLater, RuleArchiveRejected: ClassLater, RuleHeldBack: ClassLater,
}

// RuleClass is the class of a rule in the order of precedence (ClassField
// for a rule about a field's value, the default).
func RuleClass(name string) int {
	if c, ok := ruleClass[name]; ok {
		return c
	}
	return ClassField
}

// Precedes says whether a fault under rule a is the one to report rather
// than one under b, met before it.
func Precedes(a, b string) bool { return RuleClass(a) < RuleClass(b) }
