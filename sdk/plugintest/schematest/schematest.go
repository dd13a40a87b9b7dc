// Package schematest checks documents against the JSON schemas that
// third-party packages ship (SARIF, HAR), for the tests of the tools that
// write them. It is apart from plugintest so that plugin authors' tests do
// not need a JSON-schema library.
package schematest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mockarty-oss/mockarty/sdk/plugintest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Files are the JSON schema files a third-party package installed
// (make clients): env names a file or a folder of them (all its *.json).
// Without them the test fails under CI and is skipped elsewhere.
func Files(t testing.TB, env, what string) []string {
	t.Helper()
	path := os.Getenv(env)
	var files []string
	if st, err := os.Stat(path); path != "" && err == nil {
		if st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(path, "*.json"))
		} else {
			files = []string{path}
		}
	}
	if len(files) == 0 {
		plugintest.MissingClient(t, "%s (%s=%q)", what, env, path)
	}
	return files
}

// Valid checks doc against the schema whose root is the file named
// root among files (each added under its base name, so that "$ref":
// "log.json#" finds log.json).
func Valid(t testing.TB, doc []byte, files []string, root string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(filepath.Base(f), v); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(root)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("does not validate against %s: %v\n%s", root, err, doc)
	}
}
