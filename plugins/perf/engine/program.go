package engine

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/grafana/sobek"
	"github.com/grafana/sobek/ast"
	"github.com/grafana/sobek/parser"
)

// FileReader gives a script its other files: imported modules and open().
// Names are slash-separated paths relative to the main script's folder.
type FileReader interface {
	ReadFile(name string) ([]byte, error)
}

// FileReaderFunc adapts a function to FileReader.
type FileReaderFunc func(name string) ([]byte, error)

// ReadFile calls f.
func (f FileReaderFunc) ReadFile(name string) ([]byte, error) { return f(name) }

// MapFiles is a FileReader over files held in memory.
type MapFiles map[string][]byte

// ReadFile returns the named file or an error naming it.
func (m MapFiles) ReadFile(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("file %q not found", name)
	}
	return b, nil
}

// Limits on what a script may load.
const (
	MaxScriptBytes   = 8 << 20  // one module's source
	MaxOpenBytes     = 64 << 20 // one open()ed file
	maxOpenTotal     = 256 << 20
	maxModules       = 256
	maxCallStackSize = 5000
)

// Program is a compiled script: its modules parsed and linked once, shared
// read-only by every VU's runtime.
type Program struct {
	filename string
	main     *sobek.SourceTextModuleRecord
	records  map[string]sobek.ModuleRecord
	paths    map[sobek.ModuleRecord]string
	natives  map[string]*nativeRecord
	files    FileReader

	// exports are the names the main module exports.
	exports map[string]bool
	// options as the script exports them (JSON), read with an empty __ENV.
	rawOptions []byte
	options    *scriptOptions

	openMu    sync.Mutex
	openCache map[string][]byte
	openTotal int64

	vus sync.Map // *sobek.Runtime -> *vu, for native modules to find their VU

	// iterations, when set, run each iteration of the default function in
	// Go instead of calling it (CompileConfig, CompileWith).
	iterations Iterations
}

// Filename is the main script's name.
func (p *Program) Filename() string { return p.filename }

// Exports lists the main module's exported names, sorted.
func (p *Program) Exports() []string {
	out := make([]string, 0, len(p.exports))
	for k := range p.exports {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OptionsJSON is the script's `export const options` as JSON, evaluated
// with an empty __ENV.
func (p *Program) OptionsJSON() []byte { return append([]byte(nil), p.rawOptions...) }

// Compile parses the script and every module it imports, links them and
// runs the init code once to check it and read the options. Syntax errors,
// unknown imports and init-time exceptions come back with file:line.
// files may be nil when the script imports and opens nothing.
func Compile(src, filename string, files FileReader) (*Program, error) {
	if filename == "" {
		filename = "script.js"
	}
	filename = path.Clean(strings.TrimPrefix(filename, "file://"))
	if files == nil {
		files = MapFiles{}
	}
	p := &Program{
		filename:  filename,
		records:   map[string]sobek.ModuleRecord{},
		paths:     map[sobek.ModuleRecord]string{},
		natives:   map[string]*nativeRecord{},
		files:     files,
		openCache: map[string][]byte{},
	}
	for name, m := range nativeModules {
		p.natives[name] = &nativeRecord{prog: p, mod: m}
	}
	rec, err := p.load(filename, src)
	if err != nil {
		return nil, err
	}
	p.main = rec.(*sobek.SourceTextModuleRecord)
	if err := linkModule(p.main); err != nil {
		return nil, syntaxError(filename, err)
	}
	p.exports = map[string]bool{}
	p.main.GetExportedNames(func(names []string) {
		for _, n := range names {
			p.exports[n] = true
		}
	})
	if err := p.probe(); err != nil {
		return nil, err
	}
	return p, nil
}

// linkModule links, turning a panic in sobek's resolution into an error.
func linkModule(m *sobek.SourceTextModuleRecord) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("link: %v", x)
		}
	}()
	return m.Link()
}

// probe evaluates the init code in a throwaway VU to surface init errors
// and read the exported options.
func (p *Program) probe() error {
	v, err := newVU(p, nil, 0, nil)
	if err != nil {
		return err
	}
	defer v.close()
	raw, err := v.optionsJSON()
	if err != nil {
		return err
	}
	opts, err := parseOptions(raw)
	if err != nil {
		return err
	}
	p.rawOptions, p.options = raw, opts
	if _, err := buildScenarios(opts); err != nil {
		return err
	}
	for _, sc := range opts.Scenarios {
		if sc.Exec != "" && !p.exports[sc.Exec] {
			return fmt.Errorf("options: scenario exec %q is not an exported function", sc.Exec)
		}
	}
	return nil
}

// load parses one module and, recursively, the modules it imports.
func (p *Program) load(name, src string) (sobek.ModuleRecord, error) {
	if rec, ok := p.records[name]; ok {
		return rec, nil
	}
	if len(p.records) >= maxModules {
		return nil, fmt.Errorf("%s: too many modules (limit %d)", name, maxModules)
	}
	if len(src) > MaxScriptBytes {
		return nil, fmt.Errorf("%s: script is %d bytes, more than the %d allowed", name, len(src), MaxScriptBytes)
	}
	body, err := parseModule(name, src)
	if err != nil {
		return nil, err
	}
	rec, err := sobek.ModuleFromAST(body, p.resolve)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	p.records[name] = rec
	p.paths[rec] = name
	for _, spec := range rec.RequestedModules() {
		if _, ok := p.native(spec); ok {
			continue
		}
		line := lineOf(src, spec)
		switch {
		case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
			return nil, fmt.Errorf("%s:%d: remote module %q: remote imports are not supported, add the file to the test instead", name, line, spec)
		case isPathSpecifier(spec):
			dep := resolvePath(name, spec)
			if _, ok := p.records[dep]; ok {
				continue
			}
			b, err := p.files.ReadFile(dep)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: import %q: %w", name, line, spec, err)
			}
			if _, err := p.load(dep, string(b)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s:%d: unknown module %q (available: %s, and relative paths to files of the test)", name, line, spec, strings.Join(nativeModuleNames(), ", "))
		}
	}
	return rec, nil
}

// resolve is sobek's module resolver; every module was loaded by Compile.
func (p *Program) resolve(referrer interface{}, spec string) (sobek.ModuleRecord, error) {
	if n, ok := p.native(spec); ok {
		return n, nil
	}
	from := p.filename
	if rec, ok := referrer.(sobek.ModuleRecord); ok {
		if name, ok := p.paths[rec]; ok {
			from = name
		}
	}
	if isPathSpecifier(spec) {
		if rec, ok := p.records[resolvePath(from, spec)]; ok {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("module %q is not part of the compiled test", spec)
}

func (p *Program) native(spec string) (*nativeRecord, bool) {
	n, ok := p.natives[nativeAlias(spec)]
	return n, ok
}

func noExternalSourceMaps(string) ([]byte, error) { return nil, nil }

func isPathSpecifier(spec string) bool {
	return strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "file://")
}

// resolvePath resolves spec against the folder of the importing file.
func resolvePath(from, spec string) string {
	spec = strings.TrimPrefix(spec, "file://")
	if strings.HasPrefix(spec, "/") {
		return path.Clean(strings.TrimPrefix(spec, "/"))
	}
	return path.Join(path.Dir(from), spec)
}

// lineOf finds the line of the first quoted occurrence of spec.
func lineOf(src, spec string) int {
	for _, q := range []string{`"`, `'`, "`"} {
		if i := strings.Index(src, q+spec+q); i >= 0 {
			return strings.Count(src[:i], "\n") + 1
		}
	}
	return 1
}

// parseModule parses a module. TypeScript is stripped first; plain
// JavaScript goes to sobek as written so its line numbers stay exact, and
// only syntax sobek rejects is lowered by esbuild.
func parseModule(name, src string) (*ast.Program, error) {
	isTS := strings.HasSuffix(name, ".ts") || strings.HasSuffix(name, ".mts") || strings.HasSuffix(name, ".cts")
	if isTS {
		out, err := transform(name, src, api.LoaderTS)
		if err != nil {
			return nil, err
		}
		return parseJS(name, out)
	}
	body, err := parseJS(name, src)
	if err == nil {
		return body, nil
	}
	out, terr := transform(name, src, api.LoaderJS)
	if terr != nil {
		return nil, err // sobek's own message about the original source
	}
	if body, lerr := parseJS(name, out); lerr == nil {
		return body, nil
	}
	return nil, err
}

func parseJS(name, src string) (*ast.Program, error) {
	body, err := parser.ParseFile(nil, name, src, 0, parser.IsModule, parser.WithSourceMapLoader(noExternalSourceMaps))
	if err == nil {
		return body, nil
	}
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		msg := fmt.Sprintf("%s:%d:%d: SyntaxError: %s", e.Position.Filename, e.Position.Line, e.Position.Column, e.Message)
		if len(list) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(list)-1)
		}
		return nil, errors.New(msg)
	}
	return nil, fmt.Errorf("%s: SyntaxError: %v", name, err)
}

// transform runs esbuild: types stripped, ES module kept, newer syntax
// lowered, and an inline source map so errors point at the original lines.
func transform(name, src string, loader api.Loader) (string, error) {
	res := api.Transform(src, api.TransformOptions{
		Loader:     loader,
		Format:     api.FormatESModule,
		Target:     api.ES2022,
		Sourcemap:  api.SourceMapInline,
		Sourcefile: name,
		LogLevel:   api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := make([]string, 0, len(res.Errors))
		for i, e := range res.Errors {
			if i == 5 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(res.Errors)-5))
				break
			}
			if e.Location != nil {
				msgs = append(msgs, fmt.Sprintf("%s:%d:%d: SyntaxError: %s", name, e.Location.Line, e.Location.Column+1, e.Text))
			} else {
				msgs = append(msgs, fmt.Sprintf("%s: SyntaxError: %s", name, e.Text))
			}
		}
		return "", errors.New(strings.Join(msgs, "; "))
	}
	return string(res.Code), nil
}

// syntaxError rewrites sobek's "file: Line L:C msg" as "file:L:C: msg".
func syntaxError(name string, err error) error {
	var se *sobek.CompilerSyntaxError
	if errors.As(err, &se) && se.File != nil {
		pos := se.File.Position(se.Offset)
		return fmt.Errorf("%s:%d:%d: SyntaxError: %s", pos.Filename, pos.Line, pos.Column, se.Message)
	}
	msg := err.Error()
	if strings.Contains(msg, name) {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// openFile reads a file for open(), bounded, and caches it for the other VUs.
func (p *Program) openFile(name string) ([]byte, error) {
	p.openMu.Lock()
	defer p.openMu.Unlock()
	if b, ok := p.openCache[name]; ok {
		return b, nil
	}
	b, err := p.files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxOpenBytes {
		return nil, fmt.Errorf("open(%q): file is %d bytes, more than the %d allowed", name, len(b), MaxOpenBytes)
	}
	if p.openTotal+int64(len(b)) > maxOpenTotal {
		return nil, fmt.Errorf("open(%q): the test's opened files exceed %d bytes", name, maxOpenTotal)
	}
	p.openTotal += int64(len(b))
	p.openCache[name] = b
	return b, nil
}

// nativeRecord is a Go-implemented module; each runtime gets its own
// instance built for its VU.
type nativeRecord struct {
	prog *Program
	mod  *nativeModule
}

var _ sobek.ModuleRecord = (*nativeRecord)(nil)

// Link implements sobek.ModuleRecord; native modules import nothing.
func (n *nativeRecord) Link() error { return nil }

// GetExportedNames implements sobek.ModuleRecord.
func (n *nativeRecord) GetExportedNames(callback func([]string), _ ...sobek.ModuleRecord) bool {
	callback(append([]string{"default"}, n.mod.exports...))
	return true
}

// ResolveExport implements sobek.ModuleRecord.
func (n *nativeRecord) ResolveExport(name string, _ ...sobek.ResolveSetElement) (*sobek.ResolvedBinding, bool) {
	if name == "default" || n.mod.has(name) {
		return &sobek.ResolvedBinding{Module: n, BindingName: name}, false
	}
	return nil, false
}

// Evaluate implements sobek.ModuleRecord: it builds the module for the
// runtime's VU.
func (n *nativeRecord) Evaluate(rt *sobek.Runtime) *sobek.Promise {
	p, resolve, _ := rt.NewPromise()
	var obj *sobek.Object
	if v, ok := n.prog.vus.Load(rt); ok {
		obj = n.mod.build(v.(*vu))
	} else {
		obj = rt.NewObject()
	}
	_ = resolve(&nativeInstance{obj: obj})
	return p
}

type nativeInstance struct{ obj *sobek.Object }

// GetBindingValue implements sobek.ModuleInstance.
func (i *nativeInstance) GetBindingValue(name string) sobek.Value {
	if name == "default" {
		return i.obj
	}
	return i.obj.Get(name)
}
