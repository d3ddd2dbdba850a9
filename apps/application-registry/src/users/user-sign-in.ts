import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { canonicalUsername } from './roles';
import { AuthenticatedUser, UsersService } from './users.service';

export type SignInResult =
  | { outcome: 'signed-in'; user: AuthenticatedUser }
  | { outcome: 'failed' }
  /** Refused without a check: too many failures of this user from this address; retry after that many seconds. */
  | { outcome: 'refused'; retryAfterSeconds: number };

/**
 * Every sign-in of a user, wherever it arrives: Basic at the registry, and over the bus the password grant,
 * an admin at introspection and Basic at analytics (with the address their client came from).
 *
 * Each attempt is counted as a failure before its password is hashed and taken back when it is right, so a
 * concurrent burst of guesses gets no more checks than the limit; `Alice`, `ALICE` and `alice` share one
 * budget. Identical attempts in flight at once share one check and one count: a page's parallel requests,
 * or a busy user's burst when its cached check expires, cost one scrypt (which the hashing gate would
 * otherwise partly refuse) and do not use up the budget.
 */
@Injectable()
export class UserSignIn {
  private readonly inFlight = new Map<string, Promise<SignInResult>>();

  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(SignInLimiter) private readonly limiter: SignInLimiter,
  ) {}

  async signIn(username: string, password: string, clientAddress: string): Promise<SignInResult> {
    const canonical = canonicalUsername(username);
    const waitSeconds = this.limiter.waitSeconds(canonical, clientAddress);
    if (waitSeconds > 0) return { outcome: 'refused', retryAfterSeconds: waitSeconds };
    const id = hash('sha256', `${canonical}\u0000${password}`, 'hex');
    let attempt = this.inFlight.get(id);
    if (!attempt) {
      attempt = this.countedCheck(canonical, password, clientAddress).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, attempt);
    }
    return attempt;
  }

  private async countedCheck(canonical: string, password: string, clientAddress: string): Promise<SignInResult> {
    const reservation = await this.limiter.reserve(canonical, clientAddress);
    if (reservation.refused) return { outcome: 'refused', retryAfterSeconds: reservation.retryAfterSeconds };
    let user;
    try {
      user = await this.users.authenticate(canonical, password);
    } catch (error) {
      // Not checked (the hashing gate was full, or the store failed): not a failure of the user's.
      await reservation.release();
      throw error;
    }
    if (!user) return { outcome: 'failed' };
    await reservation.release();
    return { outcome: 'signed-in', user };
  }
}
