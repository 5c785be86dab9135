// Package testguard keeps real persons out of test archives.
//
// A test archive (processing code T or D) and the validation service take
// test persons only: identity codes whose individual number is 900–999. A
// document names persons in more places than its client: the header's
// recordTarget, a next of kin in the structured form, a code typed into a
// free text, the frame around it. So the guard does not ask the model which
// persons a document is about; it reads the bytes that would leave — the
// XML's attributes and text, and inside them every Base64 part (the display
// form and the structured form of a CDA body, the MIME part of a frame that
// carries the document) — and finds everything shaped like an identity code.
//
// Anything shaped like a code counts, its check character unchecked: a real
// person's code typed with one wrong character is still that person's.
package testguard

import (
	"encoding/base64"
	"regexp"
	"strconv"

	"github.com/kantamig/kantamig/kanta"
)

// depth bounds how far Base64 inside Base64 is followed (a frame holds a
// document, which holds its display and structured forms).
const depth = 3

var (
	// b64Element is the text of an element marked representation="B64"
	// (CDA's nonXMLBody/text, the Finnish hl7fi:json).
	b64Element = regexp.MustCompile(`representation="B64"[^>]*>([A-Za-z0-9+/=\s]*)<`)
	// mimeBase64 is the body of a MIME part sent Base64 (a frame's
	// document): after the part's headers, up to the next boundary.
	mimeBase64 = regexp.MustCompile(`(?i)Content-Transfer-Encoding:[ \t]*base64[^\n]*\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)`)
	blank      = regexp.MustCompile(`\s+`)
)

// RealPersons lists, masked and each once, the identity codes in data (a
// document, a frame, a record's model) outside the test range 900–999.
func RealPersons(data []byte) []string {
	seen := map[string]bool{}
	var out []string
	scan(data, depth, func(code string) {
		if n, err := strconv.Atoi(code[7:10]); err == nil && n >= 900 {
			return
		}
		if masked := kanta.MaskIdentityCode(code); !seen[code] {
			seen[code] = true
			out = append(out, masked)
		}
	})
	return out
}

func scan(data []byte, left int, found func(code string)) {
	for _, code := range kanta.IdentityCodesLikeIn(data) {
		found(code)
	}
	if left == 0 {
		return
	}
	for _, re := range []*regexp.Regexp{b64Element, mimeBase64} {
		for _, m := range re.FindAllSubmatch(data, -1) {
			text := blank.ReplaceAll(m[1], nil)
			decoded := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
			n, err := base64.StdEncoding.Decode(decoded, text)
			if err != nil {
				// Not Base64 after all: what it holds was read as text above.
				continue
			}
			scan(decoded[:n], left-1, found)
		}
	}
}
