// Rewrites the README's configuration table with what `homeport config reference` prints (after `npm run
// build`): the docs test fails when the two differ, this puts them back in step.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const readme = new URL('../README.md', import.meta.url);
const table = execFileSync(
  process.execPath,
  [new URL('../apps/homeport/dist/homeport.js', import.meta.url).pathname, 'config', 'reference'],
  {
    encoding: 'utf8',
  },
).trimEnd();
const text = readFileSync(readme, 'utf8');
const start = text.indexOf('| env | flag | config file key | default | what it does |');
if (start === -1) throw new Error('README: no configuration table found');
let end = text.indexOf('\n\n', start);
if (end === -1) end = text.length;
writeFileSync(readme, text.slice(0, start) + table + text.slice(end));
console.log('README configuration reference updated');
