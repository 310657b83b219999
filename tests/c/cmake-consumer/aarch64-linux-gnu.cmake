# Cross-compiles for Linux ARM64 with Debian's gcc-aarch64-linux-gnu (run under qemu-user).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Programs run on this machine; libraries, headers and packages come from the paths given.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
