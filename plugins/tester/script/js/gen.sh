#!/bin/sh
# Rebuilds chai.js (chai 4.5.0 as one IIFE that defines the global `chai`) and
# LICENSE.chai (the licences of everything in it). Needs npm, node and Go.
# Run from anywhere: sh plugins/tester/script/js/gen.sh (or `go generate` in script/).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent chai@4.5.0 >/dev/null
tar -xzf chai-4.5.0.tgz
# package/chai.js is chai's own browser build with its MIT dependencies
# (assertion-error, check-error, deep-eql, get-func-name, loupe, pathval,
# type-detect) already inlined; esbuild wraps it as one IIFE whose result is
# the global `chai`, so goja can run it as a plain script.
go run github.com/evanw/esbuild/cmd/esbuild@v0.28.2 package/chai.js \
	--bundle --format=iife --global-name=chai --target=es2017 \
	--minify-whitespace --minify-syntax --legal-comments=inline \
	--log-level=warning --outfile="$here/chai.js"
# chai's licence, then those of the dependencies its browser build inlines
# (all MIT), so the one committed bundle carries every notice it needs.
{
	echo "chai.js bundles chai 4.5.0 and its dependencies; their licences follow."
	echo
	echo "== chai@4.5.0 =="
	cat package/LICENSE
	for dep in assertion-error@1 check-error@1 deep-eql@4 get-func-name@2 loupe@2 pathval@1 type-detect@4; do
		mkdir "d-$dep"
		(cd "d-$dep" && npm pack --silent "$dep" >/dev/null && tar -xzf ./*.tgz)
		ver=$(node -p "require('./d-$dep/package/package.json').version")
		echo
		echo "== ${dep%@*}@$ver =="
		# assertion-error ships its licence only as the last README section.
		cat "d-$dep"/package/LICENSE* 2>/dev/null || sed -n '/^## License/,$p' "d-$dep/package/README.md"
	done
} >"$here/LICENSE.chai"
