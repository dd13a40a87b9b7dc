package main

// SOAP faults in both versions. A mock's faultCode is written the SOAP 1.1
// way ("soap:Client", "Server.Database"); the standard codes map between
// the versions (Client <-> Sender, Server <-> Receiver) and a dotted
// suffix becomes a SOAP 1.2 Subcode. A code is a QName, so a prefix the
// mock wrote ("tns:Overdrawn") is declared where the code is written.
//
// The HTTP status of the listener's own faults follows the SOAP HTTP
// bindings: SOAP 1.1 sends every fault with 500; SOAP 1.2 a Sender fault
// with 400 and any other with 500.

import (
	"bytes"
	"net/http"
	"strings"
	"unicode"
)

// fault is a fault to send.
type fault struct {
	code   string // as the mock wrote it, "" for Server/Receiver
	reason string
	actor  string
	detail string // an XML fragment (text that is not XML is escaped)
	// codeNS is the namespace a prefix in a code that is not standard is
	// bound to ("" for defaultCodeNS).
	codeNS string
}

// The listener's own faults.
const (
	codeClient          = "Client"
	codeServer          = "Server"
	codeVersionMismatch = "VersionMismatch"
)

// defaultCodeNS is the namespace of a mock's own fault code prefix when
// the call gives none (its operation element is in no namespace).
const defaultCodeNS = "urn:mockarty:fault-code"

// envPrefix is the prefix of the envelope namespace in what the listener
// writes: a code with it stays in that namespace.
const envPrefix = "soap"

// faultStatus is the HTTP status of a fault with code in version v, by
// the version's HTTP binding.
func faultStatus(v version, code string) int {
	if v == soap12 {
		if std, _ := faultCode(code, v); std == "Sender" {
			return http.StatusBadRequest
		}
	}
	return http.StatusInternalServerError
}

// standardCodes are the fault codes of either version, by lower-case name:
// the SOAP 1.1 and the SOAP 1.2 spelling.
var standardCodes = map[string][2]string{
	"client":              {"Client", "Sender"},
	"sender":              {"Client", "Sender"},
	"server":              {"Server", "Receiver"},
	"receiver":            {"Server", "Receiver"},
	"versionmismatch":     {"VersionMismatch", "VersionMismatch"},
	"mustunderstand":      {"MustUnderstand", "MustUnderstand"},
	"dataencodingunknown": {"Client", "DataEncodingUnknown"},
}

// faultCode splits a code into the standard code of version v and the
// rest: "soap:Client.Auth" -> ("Client", "Auth") in 1.1, ("Sender",
// "Auth") in 1.2; a code that is not standard is ("", code).
func faultCode(code string, v version) (std, sub string) {
	if strings.TrimSpace(code) == "" {
		code = codeServer
	}
	base := localName(strings.TrimSpace(code))
	rest := ""
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base, rest = base[:i], base[i+1:]
	}
	names, ok := standardCodes[strings.ToLower(base)]
	if !ok {
		return "", strings.TrimSpace(code)
	}
	return names[v], rest
}

// faultEnvelope writes the fault as a whole envelope.
func faultEnvelope(v version, f fault) []byte {
	return envelope(v, nil, faultBody(v, f))
}

// versionMismatchEnvelope is the VersionMismatch fault for an Envelope of
// an unknown version, written in SOAP 1.1 (which every SOAP node reads)
// with the SOAP 1.2 Upgrade header block listing the envelopes this
// listener reads, most preferred first (SOAP 1.2 part 1, 5.4.7).
func versionMismatchEnvelope(reason string) []byte {
	upgrade := `<upg:Upgrade xmlns:upg="` + ns12 + `">` +
		`<upg:SupportedEnvelope qname="s12:Envelope" xmlns:s12="` + ns12 + `"/>` +
		`<upg:SupportedEnvelope qname="s11:Envelope" xmlns:s11="` + ns11 + `"/>` +
		`</upg:Upgrade>`
	return envelope(soap11, []byte(upgrade), faultBody(soap11, fault{code: codeVersionMismatch, reason: reason}))
}

// faultBody writes the Fault element.
func faultBody(v version, f fault) []byte {
	var b bytes.Buffer
	std, sub := faultCode(f.code, v)
	if v == soap11 {
		code, decl := sub, "" // a code that is not standard is written as the mock has it
		if std != "" {
			code = envPrefix + ":" + std
			if sub != "" {
				code += "." + ncName(sub) // one QName: no second colon
			}
		} else {
			code, decl = codeQName(sub, f.codeNS)
		}
		b.WriteString("<soap:Fault><faultcode" + decl + ">")
		escape(&b, code)
		b.WriteString("</faultcode><faultstring>")
		escape(&b, f.reason)
		b.WriteString("</faultstring>")
		if f.actor != "" {
			b.WriteString("<faultactor>")
			escape(&b, f.actor)
			b.WriteString("</faultactor>")
		}
		writeDetail(&b, "detail", f.detail)
		b.WriteString("</soap:Fault>")
		return b.Bytes()
	}
	if std == "" {
		std = "Receiver" // SOAP 1.2 allows only its own codes here: the mock's goes in the Subcode
	}
	b.WriteString("<soap:Fault><soap:Code><soap:Value>soap:" + std + "</soap:Value>")
	if sub != "" {
		code, decl := codeQName(sub, f.codeNS)
		b.WriteString("<soap:Subcode><soap:Value" + decl + ">")
		escape(&b, code)
		b.WriteString("</soap:Value></soap:Subcode>")
	}
	b.WriteString(`</soap:Code><soap:Reason><soap:Text xml:lang="en">`)
	escape(&b, f.reason)
	b.WriteString("</soap:Text></soap:Reason>")
	if f.actor != "" {
		b.WriteString("<soap:Node>")
		escape(&b, f.actor)
		b.WriteString("</soap:Node>")
	}
	writeDetail(&b, "soap:Detail", f.detail)
	b.WriteString("</soap:Fault>")
	return b.Bytes()
}

// codeQName makes a code namespace-well-formed: a QName whose prefix, if
// any, is declared by decl (an attribute for the element holding it),
// bound to ns (defaultCodeNS when ""). The envelope's own prefix and
// "xml" are declared already; a character a QName cannot hold becomes
// '_'.
func codeQName(code, ns string) (qname, decl string) {
	prefix, local, found := strings.Cut(code, ":")
	if !found {
		return ncName(code), ""
	}
	local = ncName(strings.ReplaceAll(local, ":", "_"))
	switch prefix = ncName(prefix); {
	case prefix == envPrefix || prefix == "xml":
		return prefix + ":" + local, ""
	case strings.EqualFold(prefix, "xmlns"):
		prefix = "c" // may not be declared
	}
	if ns == "" {
		ns = defaultCodeNS
	}
	var d bytes.Buffer
	d.WriteString(" xmlns:" + prefix + `="`)
	escape(&d, ns)
	d.WriteString(`"`)
	return prefix + ":" + local, d.String()
}

// ncName turns s into an XML name without a colon.
func ncName(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.' || unicode.Is(unicode.Mn, r)):
		case i == 0 && (unicode.IsDigit(r) || r == '-' || r == '.'):
			b.WriteByte('_') // a name cannot start with it: keep it after a '_'
		default:
			r = '_'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// writeDetail writes the detail element: the fragment as it is when it is
// well-formed XML, else escaped as text.
func writeDetail(b *bytes.Buffer, name, detail string) {
	if strings.TrimSpace(detail) == "" {
		return
	}
	b.WriteString("<" + name + ">")
	if d := stripDeclaration(strings.TrimSpace(detail)); strings.HasPrefix(d, "<") && checkFragment(d) == nil {
		b.WriteString(d)
	} else {
		escape(b, detail)
	}
	b.WriteString("</" + name + ">")
}
