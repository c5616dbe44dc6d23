/**
 * The CLOB's request limits the broker plans by (docs/live-orders.md, "Venue rules"). Apart from
 * clobOrders.ts so that a paper service never loads the CLOB signing client to read them.
 */

/** Orders per `DELETE /orders`: Polymarket's maximum. */
export const CANCEL_BATCH = 3000;
