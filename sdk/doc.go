// Package sdk is what a plugin author imports: the contract every plugin
// speaks with the host. A plugin's main calls Serve; a listener (Listener)
// accepts its protocol's traffic and resolves each request through the
// Host it is given on Start, with the find requests and replies of package
// sdk/find; a tool (Tool) runs jobs. Logger is the log that reaches the
// host. sdk/plugintest runs a plugin in a test against a fake host;
// sdk/listen helps every listener (binding its addresses, waiting a
// delay), sdk/httpserve and sdk/sse help listeners that serve HTTP, and
// sdk/jsonobj keeps the key order of JSON objects.
package sdk
