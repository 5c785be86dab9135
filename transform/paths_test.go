package transform_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/beevik/etree"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// elementPaths lists the element paths of an XML document (local names),
// leaving out the subtrees under skip (the document's body and signatures,
// whose content is not the header's).
func elementPaths(t *testing.T, data []byte, skip ...string) map[string]bool {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	var walk func(e *etree.Element, path string)
	walk = func(e *etree.Element, path string) {
		p := path + "/" + e.Tag
		for _, s := range skip {
			if e.Tag == s {
				out[p] = true
				return
			}
		}
		out[p] = true
		for _, c := range e.ChildElements() {
			walk(c, p)
		}
	}
	walk(doc.Root(), "")
	return out
}

// pathDiff is what one has that the other has not, sorted.
func pathDiff(a, b map[string]bool) []string {
	var out []string
	for p := range a {
		if !b[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// allowed is a difference from the real samples kantamig makes on purpose,
// with the reason.
type allowed map[string]string

// The reasons for the differences from the real samples.
const (
	noConsent         = "the client was of age when the document was drawn up: only a minor's document carries the stand on disclosure to guardians (1.2.246.537.6.1286; the display-only document here is a minor's and carries it)"
	bySigning         = "added when the document is signed; the unsigned document is compared here (the signed ones verify with xmlsec1)"
	noRestriction     = "not an inference, a loss: grounds for restricting display in Omakanta (1.2.246.537.6.1288) are not in legacy data"
	noProcess         = "not an inference, a loss: the service process (1.2.246.537.6.1277) is not in legacy data, and no one value fits every migrated document"
	systemSignature   = "inference system-signature-only: migrated documents carry the organisation's system signature (type 3), as the client-relationship sample does; this is the metadata of a professional's signature"
	noPerson          = "inference frame-performer-organisation: a migration has no professional at the keyboard, the performer is the organisation (id nullFlavor NA, representedOrganization)"
	noAuthor          = "the client-relationship document has no author (nullFlavor, as in its sample document), and its frame repeats the document"
	relationshipNamed = "kantamig names the (old) client relationship a migrated document belongs to, as the relationship document names itself; the live system's plan sample, whose client has one active relationship, leaves it out"
	replaces          = "a replacing version names the version it replaces (relatedDocument RPLC, as on the health side, DOMAIN §5.2a); the sample is a first version"
	oneShape          = "the client-document frame sample has it; kantamig builds the frames of every kind alike from the document they carry"
	caseNoAuthor      = "a case document has no author person (nullFlavor), as the client-relationship document"
	displayOnly       = "inference display-only-document: no Sosmeta structure is mapped for the document's type, so it has no specific type, structured form or content specification"
	caseShape         = "inference case-document-shape: no case-document sample exists, the plan is the closest"
	correctionCoded   = "inference correction-reason-uncoded: a replacing version says why it was made (DOMAIN §3.3, the sample is a first version), in the template's coded element with a nullFlavor"
)

// Each generated kind, header and frame, has the element paths of its
// closest real archive sample, but for the differences allowed here, each
// with its reason. A new difference, or an allowed one that no longer
// occurs, fails the test.
func TestHeaderAndFramePathsFollowTheSamples(t *testing.T) {
	samples := filepath.Join(testenv.Shared(), "reference", "kanta-samples")
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	docs := transformtest.Build(t, tr)
	for _, tc := range []struct {
		kind, sample string
		frame        bool
		missing      allowed // in the sample, not in ours
		extra        allowed // in ours, not in the sample
	}{
		{kind: "client-relationship", sample: "client-relationship-document.xml", missing: allowed{
			"/ClinicalDocument/authorization":                         noConsent,
			"/ClinicalDocument/authorization/consent":                 noConsent,
			"/ClinicalDocument/authorization/consent/code":            noConsent,
			"/ClinicalDocument/authorization/consent/statusCode":      noConsent,
			"/ClinicalDocument/localSocialHeader/signatureCollection": bySigning,
		}, extra: allowed{}},
		{kind: "client-document-structured", sample: "plan-document.xml", missing: clientDocument(allowed{}), extra: allowed{
			"/ClinicalDocument/localSocialHeader/encompassingClientRelationship": relationshipNamed,
		}},
		{kind: "client-document-replacing-version", sample: "plan-document.xml", missing: clientDocument(allowed{}), extra: allowed{
			"/ClinicalDocument/localSocialHeader/encompassingClientRelationship": relationshipNamed,
			"/ClinicalDocument/localSocialHeader/reasonOfCorrection":             correctionCoded,
			"/ClinicalDocument/relatedDocument":                                  replaces,
			"/ClinicalDocument/relatedDocument/parentDocument":                   replaces,
			"/ClinicalDocument/relatedDocument/parentDocument/id":                replaces,
			"/ClinicalDocument/relatedDocument/parentDocument/setId":             replaces,
			"/ClinicalDocument/relatedDocument/parentDocument/versionNumber":     replaces,
		}},
		{kind: "client-document-display-only", sample: "plan-document.xml", missing: withoutConsent(clientDocument(allowed{
			"/ClinicalDocument/localSocialHeader/specificDocumentType":   displayOnly,
			"/ClinicalDocument/localSocialHeader/structuredFileFormat":   displayOnly,
			"/ClinicalDocument/localSocialHeader/contentSpecificationId": displayOnly,
		})), extra: allowed{
			"/ClinicalDocument/localSocialHeader/encompassingClientRelationship": relationshipNamed,
		}},
		{kind: "case-shared", sample: "plan-document.xml", missing: withoutConsent(clientDocument(allowed{
			"/ClinicalDocument/author/assignedAuthor/assignedPerson":             caseNoAuthor,
			"/ClinicalDocument/author/assignedAuthor/assignedPerson/name":        caseNoAuthor,
			"/ClinicalDocument/author/assignedAuthor/assignedPerson/name/family": caseNoAuthor,
			"/ClinicalDocument/author/assignedAuthor/assignedPerson/name/given":  caseNoAuthor,
			"/ClinicalDocument/localSocialHeader/specificDocumentType":           caseShape + "; a case document (group 2) has no specific client-document type",
		})), extra: allowed{
			"/ClinicalDocument/componentOf/encompassingEncounter/effectiveTime/low": "the case's opening (and closing) day as the encounter's time (a choice, README); the plan sample has nullFlavor",
		}},
		{kind: "client-relationship", sample: "client-relationship-frame.xml", frame: true, missing: allowed{
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson":                           noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name":                      noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/family":               noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/given":                noPerson,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson":             noAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name":        noAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name/family": noAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name/given":  noAuthor,
		}, extra: allowed{
			"/RCMR_IN200002FI01/versionCode": oneShape,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/confidentialityCode":                                         oneShape,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/languageCode":                                                oneShape,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/custodian/assignedCustodian/representedOrganization/name":    oneShape,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/recordTarget/patient/patientPerson/administrativeGenderCode": oneShape,
		}},
		{kind: "client-document-structured", sample: "plan-document-frame.xml", frame: true, missing: allowed{
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson":             noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name":        noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/family": noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/given":  noPerson,
		}, extra: allowed{}},
		{kind: "case-shared", sample: "plan-document-frame.xml", frame: true, missing: allowed{
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson":                           noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name":                      noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/family":               noPerson,
			"/RCMR_IN200002FI01/controlActProcess/authorOrPerformer/assignedPerson/assignedPerson/name/given":                noPerson,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson":             caseNoAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name":        caseNoAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name/family": caseNoAuthor,
			"/RCMR_IN200002FI01/controlActProcess/subject/clinicalDocument/author/assignedAuthor/assignedPerson/name/given":  caseNoAuthor,
		}, extra: allowed{}},
	} {
		want, err := os.ReadFile(filepath.Join(samples, tc.sample))
		if err != nil {
			t.Fatal(err)
		}
		got := docs[tc.kind].XML
		if tc.frame {
			got = tr.Frame(docs[tc.kind], transform.FrameParams{MessageRoot: "1.2.3.4", MessageNumber: "1"}, docs[tc.kind].XML)
		}
		skip := []string{"nonXMLBody", "signatureCollection", "text"}
		gp, wp := elementPaths(t, got, skip...), elementPaths(t, want, skip...)
		for _, side := range []struct {
			name  string
			diff  []string
			allow allowed
		}{{"missing", pathDiff(wp, gp), tc.missing}, {"extra", pathDiff(gp, wp), tc.extra}} {
			seen := map[string]bool{}
			for _, p := range side.diff {
				seen[p] = true
				if side.allow[p] == "" {
					t.Errorf("%s vs %s: %s %s", tc.kind, tc.sample, side.name, p)
				}
			}
			for p := range side.allow {
				if !seen[p] {
					t.Errorf("%s vs %s: the allowed %s path %s no longer differs; remove it from the allow-list", tc.kind, tc.sample, side.name, p)
				}
			}
		}
	}
}

// withoutConsent drops the consent differences: the document is a minor's,
// and carries authorization/consent as the sample does.
func withoutConsent(a allowed) allowed {
	for p, why := range a {
		if why == noConsent {
			delete(a, p)
		}
	}
	return a
}

// clientDocument adds to more the differences every client and case document
// has from the plan sample: what legacy data do not hold, and the
// professional's signature a migrated document does not carry.
func clientDocument(more allowed) allowed {
	for _, p := range []string{"/ClinicalDocument/authorization", "/ClinicalDocument/authorization/consent",
		"/ClinicalDocument/authorization/consent/code", "/ClinicalDocument/authorization/consent/statusCode"} {
		more[p] = noConsent
	}
	more["/ClinicalDocument/localSocialHeader/signatureCollection"] = bySigning
	for _, p := range []string{"authorizationRestrictionArgument", "inaccessibleArgument"} {
		more["/ClinicalDocument/localSocialHeader/"+p] = noRestriction
	}
	for _, p := range []string{"", "/code", "/type"} {
		more["/ClinicalDocument/localSocialHeader/serviceProcess"+p] = noProcess
	}
	for _, p := range []string{"", "/assignedAuthorSigner", "/authenticationMethod", "/signer", "/signer/name", "/signer/name/family", "/signer/name/given", "/time"} {
		more["/ClinicalDocument/localSocialHeader/signature"+p] = systemSignature
	}
	return more
}
