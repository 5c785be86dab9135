package kanta

import (
	"errors"
	"testing"
	"time"
)

func TestParseIdentityCodeEveryCenturySign(t *testing.T) {
	// One valid code per century sign, check characters computed independently.
	cases := []struct {
		code  string
		birth string
		sex   string
	}{
		{"010185+944U", "1885-01-01", "2"},
		{"150467-946P", "1967-04-15", "2"},
		{"010190Y990L", "1990-01-01", "2"},
		{"290296X9890", "1996-02-29", "1"},
		{"311299W9883", "1999-12-31", "2"},
		{"010101V987J", "1901-01-01", "1"},
		{"121212U986A", "1912-12-12", "2"},
		{"010100A966L", "2000-01-01", "2"},
		{"290204B967J", "2004-02-29", "1"},
		{"150623C968N", "2023-06-15", "2"},
		{"010110D9699", "2010-01-01", "1"},
		{"311220E9704", "2020-12-31", "2"},
		{"050505F971V", "2005-05-05", "1"},
		// From the archive's own samples (DOMAIN §6).
		{"200111A904P", "2011-01-20", "2"},
		{"010594Y9032", "1994-05-01", "1"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			got, err := ParseIdentityCode(c.code)
			if err != nil {
				t.Fatalf("ParseIdentityCode(%q): %v", c.code, err)
			}
			if want, _ := time.Parse("2006-01-02", c.birth); !got.BirthDate.Equal(want) {
				t.Errorf("birth date %v, want %v", got.BirthDate, want)
			}
			if got.Sex() != c.sex {
				t.Errorf("sex %s, want %s", got.Sex(), c.sex)
			}
			if !got.TestRange() {
				t.Errorf("individual number %d should be in the test range", got.Individual)
			}
		})
	}
}

func TestParseIdentityCodeRejects(t *testing.T) {
	cases := []struct {
		code string
		rule string
	}{
		{"150467-946A", "hetu-check"},      // check character off by one
		{"010190Y990M", "hetu-check"},      // new century sign, wrong check
		{"050505F971W", "hetu-check"},      // 2000s sign, wrong check
		{"290297-9891", "hetu-date"},       // 29 February 1997 did not exist
		{"310499-950E", "hetu-date"},       // 31 April
		{"001299-950E", "hetu-date"},       // day 0
		{"011399-950E", "hetu-date"},       // month 13
		{"010199A950M", "hetu-date"},       // 1 January 2099: in the future
		{"010190-001X", "hetu-individual"}, // individual numbers start at 002
		{"010190-000X", "hetu-individual"},
		{"010190G999W", "hetu-century"}, // G is no century sign
		{"010190Z999W", "hetu-century"},
		{"010190-99W", "hetu-format"},
		{"01019A-999W", "hetu-format"},
		{"", "hetu-format"},
		{"150467-946p", "hetu-format"}, // valid as 150467-946P, but never upper-cased into it
		{"050505a971V", "hetu-format"}, // valid as 050505A971V
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			_, err := ParseIdentityCode(c.code)
			var ie *IdentityCodeError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseIdentityCode(%q) = %v, want an IdentityCodeError", c.code, err)
			}
			if ie.Rule != c.rule {
				t.Errorf("rule %s, want %s (%v)", ie.Rule, c.rule, err)
			}
			if len(c.code) == 11 && containsString(err.Error(), c.code) {
				t.Errorf("error %q repeats the identity code; errors must be safe to log", err)
			}
		})
	}
}

func TestSameDayDifferentCenturySignsAreDifferentPeople(t *testing.T) {
	a, errA := ParseIdentityCode("010190-999W")
	b, errB := ParseIdentityCode("010190Y999W")
	if errA != nil || errB != nil {
		t.Fatalf("both codes are valid: %v %v", errA, errB)
	}
	if a.Code == b.Code || !a.BirthDate.Equal(b.BirthDate) {
		t.Errorf("codes %s and %s: same birth date, different codes expected", a.Code, b.Code)
	}
}

func TestMasking(t *testing.T) {
	if got := MaskIdentityCode("150467-946P"); got != "150467*****" {
		t.Errorf("MaskIdentityCode = %q", got)
	}
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// A client is a minor until the 18th birthday, and one born on 29
// February until 1 March of a year that has no 29 February.
func TestMinorAt(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		birth, on string
		minor     bool
	}{
		{"2004-06-15", "2022-06-14", true},
		{"2004-06-15", "2022-06-15", false},
		{"2004-02-29", "2022-02-28", true},
		{"2004-02-29", "2022-03-01", false},
		{"1967-04-15", "2011-03-04", false},
	} {
		if got := MinorAt(day(tc.birth), day(tc.on)); got != tc.minor {
			t.Errorf("born %s, on %s: minor %v, want %v", tc.birth, tc.on, got, tc.minor)
		}
	}
	if MinorAt(time.Time{}, day("2020-01-01")) {
		t.Error("an unknown birth date makes no minor")
	}
}
