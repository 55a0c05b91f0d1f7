package network

import "syscall"

const errAddrInUse = syscall.EADDRINUSE
