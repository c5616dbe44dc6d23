import { getContractConfig } from '@polymarket/clob-client-v2';
import { decodeEventLog, encodeFunctionData, parseAbi, type Hex } from 'viem';

/**
 * The contracts a redemption calls, and their ABI fragments (docs/live-orders.md, "Redemption").
 * ConditionalTokens and the collateral (pUSD) come from `@polymarket/clob-client-v2`'s `getContractConfig`
 * (the SDK the orders are signed with); the pUSD collateral adapters, which the SDK does not name, from
 * Polymarket's contracts reference (Polygon only). Amounts are 6-decimal units.
 */
export const CTF_ABI = parseAbi([
  'function balanceOf(address owner, uint256 id) view returns (uint256)',
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'function setApprovalForAll(address operator, bool approved)',
]);

/** Both collateral adapters keep the CTF's redeem shape; they pull the tokens (ERC-1155 approval) and pay pUSD. */
export const COLLATERAL_ADAPTER_ABI = parseAbi(['function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)']);

export const ERC20_TRANSFER_ABI = parseAbi(['event Transfer(address indexed from, address indexed to, uint256 value)']);

export const ZERO_COLLECTION: Hex = `0x${'0'.repeat(64)}`;
/** A binary condition's two outcome slots: index sets 1 (first outcome) and 2 (second). Only the winner pays. */
export const BINARY_INDEX_SETS = [1n, 2n] as const;
export const UNITS = 1_000_000n;

/** CtfCollateralAdapter (standard markets) and NegRiskCtfCollateralAdapter (negRisk markets), by chain id. */
const COLLATERAL_ADAPTERS: Readonly<Record<number, { ctfAdapter: Hex; negRiskAdapter: Hex }>> = {
  137: { ctfAdapter: '0xAdA100Db00Ca00073811820692005400218FcE1f', negRiskAdapter: '0xadA2005600Dec949baf300f4C6120000bDB6eAab' },
};

export interface RedemptionContracts {
  conditionalTokens: Hex;
  collateral: Hex;
  ctfAdapter: Hex;
  negRiskAdapter: Hex;
}

export function hasCollateralAdapters(chainId: number): boolean {
  return COLLATERAL_ADAPTERS[chainId] !== undefined;
}

export function redemptionContracts(chainId: number): RedemptionContracts {
  const adapters = COLLATERAL_ADAPTERS[chainId];
  if (!adapters) throw new Error(`no pUSD collateral adapter addresses known for chain ${chainId}`);
  const c = getContractConfig(chainId);
  return { conditionalTokens: c.conditionalTokens as Hex, collateral: c.collateral as Hex, ...adapters };
}

/** The adapter a route redeems through (the route names predate the adapters and stay as logged). */
export function adapterOf(contracts: RedemptionContracts, route: 'ctf' | 'neg_risk_adapter'): Hex {
  return route === 'ctf' ? contracts.ctfAdapter : contracts.negRiskAdapter;
}

export function balanceOfCall(owner: Hex, tokenId: string): Hex {
  return encodeFunctionData({ abi: CTF_ABI, functionName: 'balanceOf', args: [owner, BigInt(tokenId)] });
}

export function isApprovedForAllCall(owner: Hex, operator: Hex): Hex {
  return encodeFunctionData({ abi: CTF_ABI, functionName: 'isApprovedForAll', args: [owner, operator] });
}

/** The ERC-1155 approval that lets `operator` (an adapter) move the wallet's outcome tokens. */
export function approvalCall(contracts: RedemptionContracts, operator: Hex): { to: Hex; data: Hex } {
  return { to: contracts.conditionalTokens, data: encodeFunctionData({ abi: CTF_ABI, functionName: 'setApprovalForAll', args: [operator, true] }) };
}

/** The call that redeems a condition through its route's adapter: pUSD, no parent collection, both index sets. */
export function redeemCall(contracts: RedemptionContracts, route: 'ctf' | 'neg_risk_adapter', conditionId: Hex): { to: Hex; data: Hex } {
  const data = encodeFunctionData({ abi: COLLATERAL_ADAPTER_ABI, functionName: 'redeemPositions', args: [contracts.collateral, ZERO_COLLECTION, conditionId, [...BINARY_INDEX_SETS]] });
  return { to: adapterOf(contracts, route), data };
}

/**
 * The pUSD a receipt paid `wallet`, in 6-decimal units: the sum of the collateral's ERC-20 `Transfer`
 * logs to it (minted or sent by the adapter); null when there is none.
 */
export function payoutOf(logs: readonly { address: string; topics: Hex[]; data: Hex }[], collateral: Hex, wallet: Hex): bigint | null {
  let total: bigint | null = null;
  for (const log of logs) {
    if (log.address.toLowerCase() !== collateral.toLowerCase() || log.topics.length === 0) continue;
    try {
      const decoded = decodeEventLog({ abi: ERC20_TRANSFER_ABI, topics: log.topics as [Hex, ...Hex[]], data: log.data });
      if (decoded.args.to.toLowerCase() === wallet.toLowerCase()) total = (total ?? 0n) + decoded.args.value;
    } catch {
      // Another event of the token (Approval, ...).
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
