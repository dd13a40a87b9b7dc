package main

// SOAP faults in both versions. A mock's faultCode is written the SOAP 1.1
// way ("soap:Client", "Server.Database"); the standard codes map between
// the versions (Client <-> Sender, Server <-> Receiver) and a dotted
// suffix becomes a SOAP 1.2 Subcode.

import (
	"bytes"
	"strings"
)

// fault is a fault to send.
type fault struct {
	code   string // as the mock wrote it, "" for Server/Receiver
	reason string
	actor  string
	detail string // an XML fragment (text that is not XML is escaped)
}

// The listener's own faults.
const (
	codeClient = "Client"
	codeServer = "Server"
)

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
	var b bytes.Buffer
	std, sub := faultCode(f.code, v)
	if v == soap11 {
		code := sub // a code that is not standard is written as the mock has it
		if std != "" {
			code = "soap:" + std
			if sub != "" {
				code += "." + sub
			}
		}
		b.WriteString("<soap:Fault><faultcode>")
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
		return envelope(v, nil, b.Bytes())
	}
	if std == "" {
		std = "Receiver" // SOAP 1.2 allows only its own codes here: the mock's goes in the Subcode
	}
	b.WriteString("<soap:Fault><soap:Code><soap:Value>soap:" + std + "</soap:Value>")
	if sub != "" {
		b.WriteString("<soap:Subcode><soap:Value>")
		escape(&b, sub)
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
	return envelope(v, nil, b.Bytes())
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
