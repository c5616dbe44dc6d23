import { getContractConfig } from '@polymarket/clob-client-v2';
import { decodeEventLog, encodeFunctionData, parseAbi, type Hex } from 'viem';

/**
 * The contracts a redemption calls, and their ABI fragments (docs/live-orders.md, "Redemption").
 * Addresses come from `@polymarket/clob-client-v2`'s `getContractConfig` (the SDK the orders are signed
 * with): ConditionalTokens, the NegRiskAdapter and the collateral (pUSD). Amounts are 6-decimal units.
 */
export const CTF_ABI = parseAbi([
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
  'function balanceOf(address owner, uint256 id) view returns (uint256)',
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
]);

export const NEG_RISK_ADAPTER_ABI = parseAbi([
  'function redeemPositions(bytes32 conditionId, uint256[] amounts)',
  'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)',
]);

export const ZERO_COLLECTION: Hex = `0x${'0'.repeat(64)}`;
/** A binary condition's two outcome slots: index sets 1 (first outcome) and 2 (second). Only the winner pays. */
export const BINARY_INDEX_SETS = [1n, 2n] as const;
export const UNITS = 1_000_000n;

export interface RedemptionContracts {
  conditionalTokens: Hex;
  negRiskAdapter: Hex;
  collateral: Hex;
}

export function redemptionContracts(chainId: number): RedemptionContracts {
  const c = getContractConfig(chainId);
  return { conditionalTokens: c.conditionalTokens as Hex, negRiskAdapter: c.negRiskAdapter as Hex, collateral: c.collateral as Hex };
}

export function balanceOfCall(owner: Hex, tokenId: string): Hex {
  return encodeFunctionData({ abi: CTF_ABI, functionName: 'balanceOf', args: [owner, BigInt(tokenId)] });
}

/** The call that redeems a condition: its target contract and calldata. */
export function redeemCall(contracts: RedemptionContracts, route: 'ctf' | 'neg_risk_adapter', conditionId: Hex, amounts: readonly bigint[]): { to: Hex; data: Hex } {
  if (route === 'ctf') {
    return { to: contracts.conditionalTokens, data: encodeFunctionData({ abi: CTF_ABI, functionName: 'redeemPositions', args: [contracts.collateral, ZERO_COLLECTION, conditionId, [...BINARY_INDEX_SETS]] }) };
  }
  return { to: contracts.negRiskAdapter, data: encodeFunctionData({ abi: NEG_RISK_ADAPTER_ABI, functionName: 'redeemPositions', args: [conditionId, [...amounts]] }) };
}

/** The collateral a receipt's PayoutRedemption logs (from the contract called, to `redeemer`) paid, in 6-decimal units; null when it has none. */
export function payoutOf(logs: readonly { address: string; topics: Hex[]; data: Hex }[], to: Hex, redeemer: Hex): bigint | null {
  let total: bigint | null = null;
  for (const log of logs) {
    if (log.address.toLowerCase() !== to.toLowerCase() || log.topics.length === 0) continue;
    for (const abi of [CTF_ABI, NEG_RISK_ADAPTER_ABI]) {
      try {
        const decoded = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data });
        if (decoded.eventName !== 'PayoutRedemption') continue;
        const args = decoded.args as { redeemer: Hex; payout: bigint };
        if (args.redeemer.toLowerCase() === redeemer.toLowerCase()) total = (total ?? 0n) + args.payout;
        break;
      } catch {
        // Another event of the contract (TransferSingle, ...), or the other ABI's PayoutRedemption.
      }
    }
  }
  return total;
}

/** 6-decimal units as a decimal string ("12.5"). */
export function unitsToDecimal(units: bigint): string {
  const whole = units / UNITS;
  const frac = (units % UNITS).toString().padStart(6, '0').replace(/0+$/, '');
  return frac === '' ? whole.toString() : `${whole}.${frac}`;
}
