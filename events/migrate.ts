import { eventVersion, STRATEGY_NAMED_TYPES } from './types';

/**
 * Reading logs written under older event versions (docs/architecture.md, "Event versions"). A line of
 * an older version is upgraded in place as it is read, so an old log replays to the state a new one
 * would.
 *
 * Version 1 -> 2, the types that name a strategy (`STRATEGY_NAMED_TYPES`): the flash-crash strategy
 * was `flash_crash` in `strategy`, in the order ids it stamped (`flash_crash:<key>:<n>`) and in an
 * `error`'s `source`; it is `flashCrash`, like `fifteenMin` and `negRisk`. Nothing else changed.
 */

const V1_FLASH_CRASH = 'flash_crash';
const V2_FLASH_CRASH = 'flashCrash';
const V1_ORDER_ID_PREFIX = `${V1_FLASH_CRASH}:`;

/** The fields that hold a strategy's name. */
const NAME_FIELDS = ['strategy', 'source'] as const;

/** Upgrades a parsed event object to its type's current version, in place; a no-op when it is current. */
export function upgradeEvent(obj: Record<string, unknown>): void {
  if (obj.v !== 1 || typeof obj.type !== 'string' || eventVersion(obj.type) === 1) return;
  obj.v = 2;
  for (const field of NAME_FIELDS) if (obj[field] === V1_FLASH_CRASH) obj[field] = V2_FLASH_CRASH;
  const orderId = obj.orderId;
  if (typeof orderId === 'string' && orderId.startsWith(V1_ORDER_ID_PREFIX)) obj.orderId = V2_FLASH_CRASH + orderId.slice(V1_FLASH_CRASH.length);
}

/** A version-1 line of a type that has a newer version: `{"v":1,"seq":N,"ts":T,"type":"<named>"`. */
const V1_LINE_OF_NEWER_TYPE = new RegExp(`^\\{"v":1,"seq":\\d+,"ts":\\d+,"type":"(?:${STRATEGY_NAMED_TYPES.join('|')})"`);

/** Whether a stored line must be upgraded (parsed and written anew) rather than copied through. */
export function lineNeedsUpgrade(line: string): boolean {
  return V1_LINE_OF_NEWER_TYPE.test(line);
}


