// Command mockarty-plugin-graphql is the GraphQL listener plugin: it serves
// a namespace's GraphQL mocks over HTTP, one mock per root field, validating
// queries and answering introspection from the namespace's registered SDL.
package main

import "github.com/mockarty-oss/mockarty/sdk"

func main() { sdk.Serve(&Listener{}) }
