#!/usr/bin/env node
// The installed `homeport` command: runs the built bundle (npm run build first).
import '../dist/homeport.js';
