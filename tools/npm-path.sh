#!/usr/bin/env bash
# Prints the node_modules folder of the npm packages tools/install-deps.sh installs
# (for NODE_PATH and for the .bin/ commands): `NODE_PATH=$(tools/npm-path.sh) node test.js`.
cd "$(dirname "$0")/.." && echo "$PWD/.npm-tools/node_modules"
