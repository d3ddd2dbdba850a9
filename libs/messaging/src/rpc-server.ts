import { Logger } from '@nestjs/common';
import { ServerNats } from '@nestjs/microservices';
import type { Msg } from 'nats';
import { callersOf, inboxPrefix } from '@keymint/contracts';

/**
 * Nest's NATS transport, answering only into the inbox of a service allowed
 * to call the subject. A requester chooses the reply subject, and the NATS
 * server lets whoever received a request publish its answer there
 * (`allow_responses`) whatever the subject: asked with a reply subject such
 * as `$JS.API.STREAM.PURGE.TOKENS`, the answer would purge a stream with this
 * service's rights. So a request whose reply subject is not under the inbox
 * prefix of one of the subject's callers (bus-access.ts) gets no answer.
 */
export class CallerOnlyNatsServer extends ServerNats {
  private readonly guardLogger = new Logger('RpcServer');

  override async handleMessage(channel: string, natsMsg: Msg): Promise<unknown> {
    if (natsMsg.reply !== undefined && natsMsg.reply !== '' && !isCallerInbox(channel, natsMsg.reply)) {
      this.guardLogger.warn(`ignored a ${channel} request whose reply subject is no caller's inbox: ${natsMsg.reply.slice(0, 120)}`);
      return undefined;
    }
    return super.handleMessage(channel, natsMsg);
  }
}

/** Whether `reply` is under the inbox of a user whose role calls `subject`. */
export function isCallerInbox(subject: string, reply: string): boolean {
  return callersOf(subject).some((user) => reply.startsWith(`${inboxPrefix(user)}.`));
}
