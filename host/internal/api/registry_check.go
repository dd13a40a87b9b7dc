package api

import (
	"sort"

	"github.com/mockarty-oss/mockarty/host/internal/generate"
	"github.com/mockarty-oss/mockarty/host/internal/generate/soapgen"
)

// checkWSDLSet checks every WSDL of a namespace on its own (WSDLs do not
// import each other here).
func checkWSDLSet(set map[string]string) error {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := soapgen.Validate(set[n]); err != nil {
			return generate.Inputf("content", "%s: %v", n, err)
		}
	}
	return nil
}
