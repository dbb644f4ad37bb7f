// The status bar: server, nickname, connection state, transfers running, and a short hint.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { safe } from '../sanitize.js';

export interface Status { server: string; name: string; connection: string; transfers: number; hint: string }

export class StatusBar {
  readonly bar: Widgets.BoxElement;
  private s: Status = { server: '', name: '', connection: 'starting', transfers: 0, hint: '' };

  constructor(parent: Widgets.Node) {
    this.bar = blessed.box({ parent, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'blue', fg: 'white' } });
  }

  get status(): Readonly<Status> { return this.s; }

  set(patch: Partial<Status>): void {
    this.s = { ...this.s, ...patch };
    const conn = this.s.connection === 'online' ? '{green-fg}online{/green-fg}' : `{yellow-fg}${safe(this.s.connection)}{/yellow-fg}`;
    const parts = [
      ` ${safe(this.s.server)}`, `nick: ${safe(this.s.name) || '-'}`, conn, `transfers: ${this.s.transfers} running`,
    ];
    if (this.s.hint) parts.push(safe(this.s.hint));
    this.bar.setContent(parts.join(' {white-fg}|{/white-fg} '));
    this.bar.screen.render();
  }
}
