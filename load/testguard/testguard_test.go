package testguard

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// lines breaks Base64 into MIME's lines of 76 characters.
func lines(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return b.String() + s
}

func frame(document string) string {
	return `<RCMR_IN200002FI01><text>Content-Type: multipart/related; boundary="b"; type="text/xml"

--b
Content-Type: text/xml; charset=UTF-8
Content-Transfer-Encoding: BASE64
Content-ID: <1.2.3>

` + lines(b64(document)) + `
--b--
</text></RCMR_IN200002FI01>`
}

func document(header, display, structured string) string {
	return `<ClinicalDocument><recordTarget><patientRole><id root="1.2.246.21" extension="` + header + `"/></patientRole></recordTarget>` +
		`<effectiveTime value="20230115120000+0200"/><id root="1.2.246.10.1234567.10.2023.1"/>` +
		`<component><nonXMLBody><text mediaType="application/xhtml+xml" representation="B64">` + lines(b64(display)) + `</text>` +
		`<hl7fi:json representation="B64">` + lines(b64(structured)) + `</hl7fi:json></nonXMLBody></component></ClinicalDocument>`
}

// The expected codes are written out here, masked by hand.
func TestEveryPlaceACodeCanHide(t *testing.T) {
	const test, test2 = "010190-999K", "010190Y990M"
	xhtml := func(s string) string {
		return `<html xmlns="http://www.w3.org/1999/xhtml"><body><p>` + s + `</p></body></html>`
	}
	cases := []struct {
		name, data, want string
	}{
		{"test persons only", document(test, xhtml("Asiakas "+test2), `{"lahiomainen":{"henkilotunnus":"`+test2+`"}}`), ""},
		{"the client in the header", document("150467-1490", xhtml("teksti"), `{}`), "150467*****"},
		{"a code typed into the display form", document(test, xhtml("Sisar (150467-1490) soitti."), `{}`), "150467*****"},
		{"a next of kin in the structured form", document(test, xhtml("teksti"), `{"lahiomainen":{"henkilotunnus":"020202A123C"}}`), "020202*****"},
		{"a wrong check character is still a person", document(test, xhtml("150467-149X"), `{}`), "150467*****"},
		{"inside the frame's document", frame(document(test, xhtml("ks. 150467-1490 ja 020202A123C"), `{}`)), "150467*****, 020202*****"},
		{"the frame's own header", `<patient><id extension="150467-1490"/></patient>` + frame(document(test, xhtml(""), `{}`)), "150467*****"},
		{"one person named twice is one", document("150467-1490", xhtml("150467-1490"), `{"x":"150467-1490"}`), "150467*****"},
		{"a model in JSON", `{"Client":{"IdentityCode":"010190-999K"},"RelatedPersons":[{"IdentityCode":"150467-1490"}]}`, "150467*****"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.Join(RealPersons([]byte(c.data)), ", "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// Nothing unmasked ever comes back.
func TestNothingUnmasked(t *testing.T) {
	for _, code := range RealPersons([]byte(document("150467-1490", "", ""))) {
		if strings.Contains(code, "1490") {
			t.Errorf("unmasked: %s", code)
		}
	}
}
