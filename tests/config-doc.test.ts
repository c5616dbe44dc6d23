import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';

/** docs/config.md documents every key with its default; this keeps it true when the schema changes. */
describe('docs/config.md', () => {
  const doc = readFileSync(resolve(__dirname, '../docs/config.md'), 'utf8');
  const sections = doc.split(/^## /m).slice(1);
  const bySection = new Map(sections.map((s) => [s.slice(1, s.indexOf('`', 1)), s]));

  it('has a table for every config section and a row, with the default, for every key', () => {
    const missing: string[] = [];
    for (const [section, values] of Object.entries(defaultConfig())) {
      const text = bySection.get(section);
      if (text === undefined) {
        missing.push(`section ${section}`);
        continue;
      }
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        const row = text.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
        if (!row) missing.push(`${section}.${key}`);
        else if (!row.includes(`\`${JSON.stringify(value)}\``)) missing.push(`${section}.${key} default ${JSON.stringify(value)}`);
        else if (row.trim().endsWith('|  |')) missing.push(`${section}.${key} meaning`);
      }
    }
    expect(missing).toEqual([]);
  });
});
