// Package pdfatest makes the files the PDF/A route is tested with, and
// the third sample system's folder of scans is generated from: a plain
// PDF of a few lines of text (as a legacy system's print to PDF made
// them, fonts not embedded, no output intent: not PDF/A), one protected
// by a password (the PDF standard security handler, RC4), and a TIFF
// scan. They are written here, byte by byte, so that what each is and
// why is in plain sight.
package pdfatest

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"strings"

	"golang.org/x/image/tiff"
	"golang.org/x/text/encoding/charmap"
)

// TextPDF is a one-page PDF 1.4 that shows lines of text in Helvetica
// (not embedded), as a legacy system's print to PDF would write it.
func TextPDF(lines ...string) []byte { return textPDF("", lines) }

// ProtectedPDF is TextPDF protected by a user password: a reader, and
// Ghostscript, can open it only with the password.
func ProtectedPDF(password string, lines ...string) []byte { return textPDF(password, lines) }

// padding is the PDF standard security handler's password padding.
var padding = []byte{0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A}

func pad(pw string) []byte { return append([]byte(pw), padding...)[:32] }

func rc4With(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func textPDF(password string, lines []string) []byte {
	enc := charmap.Windows1252.NewEncoder()
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 770 Td 16 TL\n")
	for _, l := range lines {
		b, err := enc.Bytes([]byte(l))
		if err != nil {
			b = []byte(l)
		}
		esc := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(string(b))
		fmt.Fprintf(&content, "(%s) Tj T*\n", esc)
	}
	content.WriteString("ET\n")
	stream := []byte(content.String())
	id := md5.Sum([]byte(strings.Join(lines, "\n")))
	var key []byte
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"", // the content stream
	}
	if password != "" {
		const perms = int32(-44) // print and copy refused; the value does not matter to the test
		ownerKey := md5.Sum(pad(password + "-owner"))
		o := rc4With(ownerKey[:5], pad(password))
		h := md5.New()
		h.Write(pad(password))
		h.Write(o)
		binary.Write(h, binary.LittleEndian, perms)
		h.Write(id[:])
		key = h.Sum(nil)[:5]
		u := rc4With(key, padding)
		objects = append(objects, fmt.Sprintf("<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>", hex.EncodeToString(o), hex.EncodeToString(u), perms))
		// The content stream is object 5, generation 0.
		ok := md5.Sum(append(append([]byte{}, key...), 5, 0, 0, 0, 0))
		stream = rc4With(ok[:10], stream)
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		if i == 4 {
			fmt.Fprintf(&b, "<< /Length %d >>\nstream\n", len(stream))
			b.Write(stream)
			b.WriteString("\nendstream")
		} else {
			b.WriteString(o)
		}
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	encrypt := ""
	if password != "" {
		encrypt = fmt.Sprintf(" /Encrypt %d 0 R", len(objects))
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /ID [<%x> <%x>]%s >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, id, id, encrypt, xref)
	return b.Bytes()
}

// TIFF is a grey scan of a page, w by h pixels: a white page with dark
// bars where lines of text would be, deflate-compressed as scanners of
// the 2000s wrote them.
func TIFF(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(255)
			line := (y - h/10) / max(h/40, 2)
			if y > h/10 && y < h*9/10 && line%2 == 0 && x > w/10 && x < w*9/10-(line%5)*w/20 {
				v = 40
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		panic(err) // writing to memory does not fail
	}
	return b.Bytes()
}
