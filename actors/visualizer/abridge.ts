/**
 * A bounded copy of an event for the page: arrays cut to `maxItems` (with a note of how many were
 * left out), strings cut to `maxString`, nesting cut at `maxDepth`. A market snapshot of 500 markets
 * becomes a few kilobytes. Actor references and functions become their names.
 */
export function abridge(value: unknown, maxItems = 8, maxString = 300, maxDepth = 5): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'string') return v.length > maxString ? `${v.slice(0, maxString)}… (${v.length} chars)` : v;
    if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
    if (typeof v !== 'object') return String(v);
    const ref = v as { sessionId?: unknown; send?: unknown; id?: unknown };
    if (typeof ref.sessionId === 'string' && typeof ref.send === 'function') return `[actor ${String(ref.id)}]`;
    if (depth >= maxDepth) return Array.isArray(v) ? `[${v.length} items]` : '{…}';
    if (Array.isArray(v)) {
      const head = v.slice(0, maxItems).map((x) => walk(x, depth + 1));
      if (v.length > maxItems) head.push(`… ${v.length - maxItems} more`);
      return head;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, depth + 1);
    return out;
  };
  return walk(value, 0);
}
