// Empty: lets syscallfast declare the bodyless functions it links to the
// runtime with go:linkname (as package syscall does).
