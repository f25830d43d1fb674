// The reading side of the query socket, apart from what a reply means to its caller: each reply
// batch decoded and handed over whole, with a turn of the event loop between batches.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Router } from 'zeromq';
import { slotFromRoutingId } from '../channel/protocol.js';
import { decodeReplies, type Reply } from '../channel/query-batch.js';

/** Runs until the socket closes; a batch that cannot be decoded is logged and skipped. */
export async function receiveReplies(
  socket: Router,
  onReplies: (slot: number | null, replies: Reply[]) => void,
  log: Logger,
): Promise<void> {
  try {
    for await (const [id, header, bodies] of socket) {
      const slot = slotFromRoutingId(id!.toString('utf8'));
      let replies: Reply[];
      try {
        replies = decodeReplies(header!, bodies);
      } catch (err) {
        log.error({ err, slot }, 'undecodable reply batch');
        continue;
      }
      onReplies(slot, replies);
      // Queued replies arrive without a trip through the event loop: yield, or a steady stream of
      // them would hold off new connections and the heartbeat watchdog's timer.
      await yieldToEventLoop();
    }
  } catch (err) {
    if (!socket.closed) log.error({ err }, 'query channel receive failed');
  }
}
