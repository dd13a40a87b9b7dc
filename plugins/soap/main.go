// Command mockarty-plugin-soap is the SOAP listener plugin: it serves a
// namespace's SOAP mocks on its own addresses (and the host's /stubs SOAP
// traffic, handed to it by reverse proxy). Each call's envelope (SOAP 1.1
// or 1.2) is turned into a FindSOAP request; the mock's answer is written
// back as an envelope of the same version, or as a SOAP fault. GET
// <path>?wsdl serves the namespace's registered WSDL with its addresses
// pointing at this listener.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }
