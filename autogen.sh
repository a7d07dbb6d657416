#!/bin/sh
# gridr: regenerate the build system (configure, Makefile.in).
set -e
cd "$(dirname "$0")"
autoreconf -fi
