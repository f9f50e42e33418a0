#!/usr/bin/env node
// Independent check of bench.js: the same `eight` rules (bench/reference.rs,
// module `eight`, fn `decide`) written directly in plain JS, no engine, the
// same output lines and stderr summary.
//
//   node check.js FILE.ndjson
'use strict';

const fs = require('fs');

const NOW_MS = Date.parse('2025-06-01T12:00:00Z');
const RECENT_SECONDS = 14 * 86400;
const IN_SCOPE = new Set(['web_form', 'webinar', 'chat', 'event', 'partner']);
const NEAR_TERM = new Set(['immediate', 'this_quarter']);

const obj = (v) => (v !== null && typeof v === 'object' ? v : {});

function decide(lead) {
  const engagement = obj(lead.engagement);
  const company = obj(lead.company);
  const score = engagement.score;
  const engaged = typeof score === 'number' && score >= 40;
  const at = engagement.last_activity_at;
  const t = typeof at === 'string' ? Date.parse(at) : NaN;
  const recent = !Number.isNaN(t) && Math.trunc((NOW_MS - t) / 1000) <= RECENT_SECONDS;
  const enterprise = typeof company.employees === 'number' && company.employees >= 1000;
  const emea = company.region === 'EMEA';
  const near_term = NEAR_TERM.has(obj(lead.context).buying_timeline);
  const in_scope = IN_SCOPE.has(lead.source);
  let verdict;
  if (!in_scope) verdict = 'out_of_scope';
  else if (obj(lead.lifecycle).stage !== 'mql') verdict = 'hold';
  else if (engaged && recent && obj(lead.consent).email === true) verdict = 'handoff';
  else verdict = 'hold';
  return { verdict, enterprise, emea, near_term };
}

function main() {
  const path = process.argv[2];
  if (!path || process.argv.length > 3) {
    process.stderr.write('usage: node check.js FILE.ndjson\n');
    process.exit(2);
  }
  let text;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    process.stderr.write(`error: cannot read \`${path}\`: ${e.message}\n`);
    process.exit(2);
  }
  let read = 0;
  let notRead = 0;
  const verdicts = { handoff: 0, hold: 0, out_of_scope: 0 };
  const out = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let lead;
    try {
      lead = JSON.parse(line);
    } catch {
      notRead++;
      continue;
    }
    if (lead === null || typeof lead !== 'object' || Array.isArray(lead)) {
      notRead++;
      continue;
    }
    read++;
    const d = decide(lead);
    verdicts[d.verdict]++;
    out.push(
      JSON.stringify({
        id: lead.id === undefined ? null : lead.id,
        verdict: d.verdict,
        enterprise: d.enterprise,
        emea: d.emea,
        near_term: d.near_term,
      }) + '\n'
    );
    if (out.length >= 8192) process.stdout.write(out.splice(0).join(''));
  }
  process.stdout.write(out.join(''));
  process.stderr.write(
    `${read} read, ${notRead} not read\n` +
      `handoff ${verdicts.handoff}, hold ${verdicts.hold}, out_of_scope ${verdicts.out_of_scope}\n`
  );
}

main();
