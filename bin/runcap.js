#!/usr/bin/env node
// Entry point for `npx runcap`: the compiled CLI lives in dist/ (built by `npm run build`).
import '../dist/cli/main.js';
