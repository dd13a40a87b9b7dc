# Removes the "Unimplemented<Service>Server" types protoc-gen-go-grpc adds
# (methods that answer UNIMPLEMENTED): every server of the contract
# implements every method itself, so a new method fails the build until it
# is written instead of answering "not implemented" at run time.
/^\tcodes "google.golang.org\/grpc\/codes"$/ { next }
/^\tstatus "google.golang.org\/grpc\/status"$/ { next }
/^\/\/ All implementations should embed Unimplemented/ {
	print "// Every implementation implements every method (there is no \"unimplemented\" fallback)."
	prev = "fallback"
	next
}
/^\/\/ for forward compatibility\.$/ && prev == "fallback" { prev = $0; next }
/^\/\/ Unimplemented.*Server should be embedded/ { skip = 1 }
/^\/\/ Unsafe.*Server may be embedded/ { skip = 0 }
!skip { print; prev = $0 }
