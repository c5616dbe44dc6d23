import type { redeemerFromConfig as RedeemerFromConfig } from './redeemer';

/** `redeemerFromConfig`, loaded when called: the redeemer's signing code (viem) and the SDK's addresses load only for live work, as the CLOB client does. */
export const loadRedeemer: typeof RedeemerFromConfig = (...args) => (require('./redeemer') as typeof import('./redeemer')).redeemerFromConfig(...args);
