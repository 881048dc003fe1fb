package pglocal

import "syscall"

// setParentDeathSignal asks the kernel to send postgres SIGINT (a fast
// shutdown) if Humble dies without stopping it, e.g. when SIGKILLed or when
// a test binary times out, so no orphaned server keeps running. SIGINT rather
// than SIGTERM: SIGTERM is a "smart" shutdown that waits for every client,
// and a stray psql session would keep the orphan alive.
//
// The kernel applies this when the forking thread exits; startAndWatch pins
// that thread for postgres's lifetime. Go sets it after switching to
// Credential, so dropping root does not clear it.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGINT
}
