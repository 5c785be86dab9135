package archive

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// The Finnish header (hl7fi:localSocialHeader) as the archive reads it:
// every element it may hold, the shape of each, and which document groups
// need it. Written from the real archive samples (reference/kanta-samples)
// and DOMAIN.md §3.3, not from kantamig's builder, so that an element the
// builder invents or misshapes is refused rather than repeated.
const nsFI = "urn:hl7finland"

// shape is what an element of the header must look like.
type shape int

const (
	coded       shape = iota // @code and @codeSystem
	timestamp                // @value, YYYYMMDDhhmmss with a zone
	oidRoot                  // @root, an OID
	text                     // text, no child elements
	oidText                  // text that is an OID
	software                 // @moderator, @product, @version
	complex                  // child elements, checked on their own
	codedOrNull              // coded (as the template has it), or a nullFlavor
)

type headerElement struct {
	shape shape
	// system is the code system a coded element must name, by its OID
	// without the version arc ("" for any).
	system string
	// required lists the document groups that must have it.
	required []string
	// only lists the document groups that may have it (nil: any).
	only []string
}

var groupsAll = []string{"1", "2", "5"}

var header = map[string]headerElement{
	"specificDocumentType":             {shape: coded, system: "1.2.246.537.6.1506", only: []string{"5"}},
	"creationTime":                     {shape: timestamp, required: groupsAll},
	"documentGroup":                    {shape: coded, system: "1.2.246.537.6.1505", required: groupsAll},
	"fileFormat":                       {shape: coded, system: "1.2.246.537.6.1502", required: groupsAll},
	"structuredFileFormat":             {shape: coded, system: "1.2.246.537.5.40179"},
	"softwareSupport":                  {shape: software, required: groupsAll},
	"functionCode":                     {shape: coded, system: "1.2.246.537.6.1221", required: []string{"2", "5"}, only: []string{"2", "5"}},
	"recordStatus":                     {shape: coded, system: "1.2.246.537.5.40154", required: groupsAll},
	"registryType":                     {shape: coded, system: "1.2.246.537.6.1264", required: groupsAll},
	"outsourcingServiceCustomer":       {shape: oidRoot, required: groupsAll},
	"outsourcingServiceCustomerName":   {shape: text, required: groupsAll},
	"totalRetentionPeriodClass":        {shape: coded, system: "1.2.246.537.6.1258"},
	"specialContent":                   {shape: coded, system: "1.2.246.537.6.112"},
	"contentSpecificationId":           {shape: oidText},
	"serviceProcess":                   {shape: complex},
	"authorizationRestrictionArgument": {shape: text},
	"inaccessibleArgument":             {shape: coded, system: "1.2.246.537.6.1288"},
	"reasonOfCorrection":               {shape: codedOrNull, only: []string{"5"}},
	"signature":                        {shape: complex},
	"signatureCollection":              {shape: complex, required: groupsAll},
	"encompassingClientRelationship":   {shape: oidRoot, required: []string{"1"}, only: []string{"1", "5"}},
}

// nullFlavors are HL7 v3's NullFlavor codes.
var nullFlavors = map[string]bool{"NI": true, "NA": true, "UNK": true, "ASKU": true, "NAV": true, "NASK": true, "MSK": true, "OTH": true, "NINF": true, "PINF": true, "QS": true, "TRC": true, "NP": true}

var (
	oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)
	tsPattern  = regexp.MustCompile(`^[0-9]{14}[+-][0-9]{4}$`)
)

// checkHeader returns what is wrong with a document's Finnish header: an
// element the archive does not know, one of the wrong shape, one its
// group must have or may not have. group is the header's document group.
func checkHeader(lsh *etree.Element, group string) []string {
	var out []string
	seen := map[string]int{}
	for _, el := range lsh.ChildElements() {
		name := el.Tag
		if el.NamespaceURI() != nsFI {
			out = append(out, fmt.Sprintf("localSocialHeader: element %s is not in the Finnish namespace %s", el.FullTag(), nsFI))
			continue
		}
		spec, ok := header[name]
		if !ok {
			out = append(out, fmt.Sprintf("localSocialHeader: unknown element %s", name))
			continue
		}
		seen[name]++
		if seen[name] == 2 && name != "signature" {
			out = append(out, fmt.Sprintf("localSocialHeader: %s more than once", name))
		}
		if spec.only != nil && !contains(spec.only, group) {
			out = append(out, fmt.Sprintf("localSocialHeader: %s does not belong in a document of group %s", name, group))
		}
		if p := checkShape(el, spec); p != "" {
			out = append(out, "localSocialHeader/"+name+": "+p)
		}
	}
	for _, name := range sortedNames() {
		req := header[name].required
		if (len(req) == len(groupsAll) || contains(req, group)) && seen[name] == 0 {
			out = append(out, fmt.Sprintf("localSocialHeader: a document of group %s needs %s", group, name))
		}
	}
	return out
}

func checkShape(el *etree.Element, spec headerElement) string {
	attr := func(name string) string { return el.SelectAttrValue(name, "") }
	if spec.shape == codedOrNull {
		if f := attr("nullFlavor"); f != "" {
			if !nullFlavors[f] || attr("code") != "" || len(el.ChildElements()) > 0 || strings.TrimSpace(el.Text()) != "" {
				return fmt.Sprintf("nullFlavor %q: a coded element without a code has an HL7 nullFlavor and nothing else", f)
			}
			return ""
		}
		spec.shape = coded
	}
	switch spec.shape {
	case coded:
		code, system := attr("code"), attr("codeSystem")
		if code == "" || system == "" {
			return "a coded element needs code and codeSystem"
		}
		if spec.system != "" && system != spec.system && !strings.HasPrefix(system, spec.system+".") {
			return fmt.Sprintf("codeSystem %s is not %s", system, spec.system)
		}
	case timestamp:
		if !tsPattern.MatchString(attr("value")) {
			return fmt.Sprintf("value %q is not a time YYYYMMDDhhmmss±zzzz", attr("value"))
		}
	case oidRoot:
		if !oidPattern.MatchString(attr("root")) {
			return fmt.Sprintf("root %q is not an OID", attr("root"))
		}
	case text, oidText:
		if len(el.ChildElements()) > 0 {
			return "text only, no elements"
		}
		v := strings.TrimSpace(el.Text())
		if v == "" {
			return "empty"
		}
		if spec.shape == oidText && !oidPattern.MatchString(v) {
			return fmt.Sprintf("%q is not an OID", v)
		}
	case software:
		for _, a := range []string{"moderator", "product", "version"} {
			if attr(a) == "" {
				return "softwareSupport needs moderator, product and version"
			}
		}
	case complex:
		if len(el.ChildElements()) == 0 && strings.TrimSpace(el.Text()) == "" {
			return "empty"
		}
	}
	return ""
}

func sortedNames() []string {
	out := make([]string, 0, len(header))
	for n := range header {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
