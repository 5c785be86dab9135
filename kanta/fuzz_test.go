package kanta

import (
	"strings"
	"testing"
)

// FuzzIdentityCode: any string is a valid code or an error with a rule, the
// error never repeats the code, and a valid code masks to its birth date.
func FuzzIdentityCode(f *testing.F) {
	for _, s := range []string{"010190-999K", "010190-999k", "311299A9996", "290201A900X", "", "01019O-999K", "010190Y900N", "\x00\x00\x00\x00\x00\x00-\x00\x00\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseIdentityCode(s)
		if err != nil {
			var ie *IdentityCodeError
			if e, ok := err.(*IdentityCodeError); ok {
				ie = e
			}
			if ie == nil || ie.Rule == "" {
				t.Fatalf("%q: error without a rule: %v", s, err)
			}
			if len(s) >= 6 && strings.Contains(err.Error(), s) {
				t.Fatalf("the error repeats the code: %v", err)
			}
			return
		}
		if c.Code != s || c.Individual < 2 || c.Individual > 999 {
			t.Fatalf("%q parsed as %+v", s, c)
		}
		if m := MaskIdentityCode(s); m != s[:6]+"*****" {
			t.Fatalf("%q masked as %q", s, m)
		}
	})
}
