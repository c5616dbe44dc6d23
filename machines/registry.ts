import type { AnyStateMachine } from 'xstate';
import { orderLifecycleMachine } from '../domain/orderLifecycle';
import { fifteenMinMachine } from './fifteenMin';
import { flashCrashMachine } from './flashCrash';
import { llmCacheMachine } from './llmCache';
import { negRiskMachine } from './negRisk';
import { scanIntervalMachine } from './scanInterval';

/** A machine definition with the name the visualizer shows it under. */
export interface MachineEntry {
  /** Short stable name (used in URLs and to match strategy names in logs). */
  name: string;
  title: string;
  machine: AnyStateMachine;
}

/** Every machine definition in machines/. Adding one is one line here. */
export const MACHINES: readonly MachineEntry[] = [
  { name: 'flashCrash', title: 'Flash crash', machine: flashCrashMachine },
  { name: 'fifteenMin', title: '15-minute crypto', machine: fifteenMinMachine },
  { name: 'negRisk', title: 'negRisk arbitrage', machine: negRiskMachine },
  { name: 'scanInterval', title: 'Scan interval', machine: scanIntervalMachine },
  { name: 'llmCache', title: 'LLM decision cache', machine: llmCacheMachine },
  { name: 'orderLifecycle', title: 'Order lifecycle (every order)', machine: orderLifecycleMachine },
];
