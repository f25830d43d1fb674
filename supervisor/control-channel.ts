// The supervisor's end of the control channel: one ROUTER, one DEALER per child (routing id
// slot-N). Never REQ/REP: a lost reply would block it forever.

import type { Logger } from 'pino';
import { Router } from 'zeromq';
import {
  type ChildToSupervisor,
  parseChildMessage,
  type SupervisorToChild,
  slotFromRoutingId,
  slotRoutingId,
} from '../channel/protocol.js';
import { SocketWriter } from '../channel/socket-writer.js';

export class ControlChannel {
  private readonly router: Router;
  private readonly writer: SocketWriter;

  constructor(
    private readonly endpoint: string,
    private readonly onMessage: (slot: number, message: ChildToSupervisor) => void,
    private readonly log: Logger,
    sendTimeoutMs: number,
  ) {
    // mandatory: a command to a child that is gone fails loudly instead of vanishing;
    // handover: a restarted child reusing its slot's routing id takes the route over.
    this.router = new Router({ mandatory: true, handover: true, linger: 0, sendTimeout: sendTimeoutMs });
    this.writer = new SocketWriter(this.router, (err, frames) =>
      log.warn({ err: err.message, to: String(frames[0]) }, 'control message not delivered'),
    );
  }

  async bind(): Promise<void> {
    await this.router.bind(this.endpoint);
    void this.receive();
  }

  send(slot: number, message: SupervisorToChild): void {
    this.writer.send([slotRoutingId(slot), JSON.stringify(message)]);
  }

  close(): void {
    this.writer.close();
    this.router.close();
  }

  private async receive(): Promise<void> {
    try {
      for await (const [id, frame] of this.router) {
        const slot = slotFromRoutingId(id!.toString('utf8'));
        const message = frame ? parseChildMessage(frame) : null;
        if (slot === null || message === null) {
          this.log.warn({ from: id?.toString('utf8') }, 'ignored a malformed control message');
          continue;
        }
        this.onMessage(slot, message);
      }
    } catch (err) {
      if (!this.router.closed) this.log.error({ err }, 'control channel receive failed');
    }
  }
}
