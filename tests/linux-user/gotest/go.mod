module tsqemu.test/gotest

go 1.19
