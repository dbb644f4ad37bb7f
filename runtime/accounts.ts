// The server's accounts: registered nicknames read from the store at each use (an account added or removed by
// `messenger-server account` while the server runs counts at the next login), scrypt off the event loop, the
// failed-login limiter, and the private messages kept for offline registered nicknames. It answers facts; the
// session machine decides what they mean (machines/session.machine.ts). Reads are synchronous on every store (a
// clustered one reads its replica); writes may be promises and are awaited.
import type { AccountOutcome } from '../machines/session.machine.js';
import type { ChatLine } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { LoginLimiter } from '../machines/login-limiter.js';
import { nameKey } from '../machines/nickname.js';
import { DEFAULT_COST, DUMMY_HASH, hashPassword, verifyPassword, type ScryptCost } from './password-hash.js';
import type { HistoryLog } from './store/history-log.js';
import { settle, StoreError, type Store } from './store/port.js';

export interface AccountsOptions {
  /** scrypt's cost for new hashes (tests lower it; the dummy hash keeps the default). */
  cost?: ScryptCost;
  /** Where time comes from, for the registration date. */
  now: () => number;
  limiter?: LoginLimiter;
}

export class Accounts {
  readonly limiter: LoginLimiter;
  private readonly cost: ScryptCost;

  constructor(readonly store: Store, private readonly log: HistoryLog | undefined, private readonly opts: AccountsOptions) {
    this.limiter = opts.limiter ?? new LoginLimiter();
    this.cost = opts.cost ?? DEFAULT_COST;
  }

  /** Whether `name` has an account; true when the store cannot be read (a registered name is never given away). */
  isRegistered(name: string): boolean {
    try { return this.store.accounts.get(nameKey(name)) !== null; } catch { return true; }
  }

  /** Checks a password; a name without an account is checked against a dummy hash (the same work and time). */
  async verify(name: string, password: string): Promise<{ account: boolean; ok: boolean }> {
    let account = null;
    try { account = this.store.accounts.get(nameKey(name)); } catch { /* unreadable: checked as unknown, refused */ }
    const ok = await verifyPassword(password, account ?? DUMMY_HASH);
    return { account: account !== null, ok: account !== null && ok };
  }

  async register(name: string, password: string): Promise<AccountOutcome> {
    const key = nameKey(name);
    try {
      if (this.store.accounts.get(key)) return 'exists';
      const h = await hashPassword(password, this.cost);
      return (await this.store.accounts.add(key, { name, ...h, created: this.opts.now() })) ? 'ok' : 'exists';
    } catch (e) {
      if (e instanceof StoreError || (e as { code?: string }).code?.startsWith('SQLITE')) return 'store';
      throw e;
    }
  }

  async change(name: string, old: string, next: string): Promise<AccountOutcome> {
    const key = nameKey(name);
    try {
      const account = this.store.accounts.get(key);
      if (!account) return 'missing';
      if (!(await verifyPassword(old, account))) return 'wrong';
      return (await this.store.accounts.setPassword(key, await hashPassword(next, this.cost))) ? 'ok' : 'missing';
    } catch (e) {
      if (e instanceof StoreError || (e as { code?: string }).code?.startsWith('SQLITE')) return 'store';
      throw e;
    }
  }

  /** The limiter's keys for a name and an address. */
  static keys(name: string, address: string): string[] { return [`name:${nameKey(name)}`, `addr:${address}`]; }

  /** The private messages kept for `name`, taken out of the store (at most what fits half a history frame). */
  takeKept(name: string): ChatLine[] {
    try { return this.store.offline.take(nameKey(name), LIMITS.historyFrameBytes / 2); } catch { return []; }
  }

  keptCount(name: string): number {
    try { return this.store.offline.count(nameKey(name)); } catch { return 0; }
  }

  /** Keeps a private message for an offline registered nickname, behind the messages to all being written (one
   *  sender's messages keep their order); `kept` gets the line as stored (`to`: the account's own spelling). */
  keep(from: string, to: string, text: string, ts: number, kept: (line: ChatLine & { to: string }) => void, refused: (problem: string) => void): void {
    const write = () => {
      let account;
      try { account = this.store.accounts.get(nameKey(to)); } catch (e) { refused((e as Error).message); return; }
      if (!account) { refused('no such account'); return; }
      const line = { from, to: account.name, text, ts };
      settle(() => this.store.offline.put(nameKey(to), line), () => kept(line), (e) => refused((e as Error).message));
    };
    if (this.log) this.log.submit({ deliver: write, refuse: (p) => refused(p) });
    else write();
  }
}
