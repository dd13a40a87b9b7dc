package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeCLITour runs the README's command-line Hello World, with the
// command taken from the README itself.
func TestReadmeCLITour(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^bin/mockarty-cli (mock create (?:.*\\\n)+.*)$`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README's mockarty-cli mock create command was not found")
	}
	args, err := shellWords(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	ok(t, args...)
	if !strings.Contains(string(readme), "curl http://localhost:5770/stubs/sandbox/api/greeting") {
		t.Fatal("the README no longer calls the stub")
	}
	got := obj(t, decodeJSON(t, func() []byte {
		status, body := stub(t, "sandbox", "/api/greeting")
		if status != 200 {
			t.Fatalf("stub: %d %s", status, body)
		}
		return body
	}()))
	if got["message"] != "Hello, World!" {
		t.Fatalf("stub: %v", got)
	}
	if _, err := time.Parse(time.RFC3339, got["timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	if !tableHas(ok(t, "mock", "list"), "hello-world", "sandbox", "/api/greeting") {
		t.Fatal("mock list does not show the README's mock")
	}
}

// shellWords splits a POSIX shell command line with quotes and
// backslash-newline continuations (enough for the README).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnclosed
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, errUnclosed
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var errUnclosed = errors.New("unclosed quote")
