// The message pane: chat, private messages (marked both ways), history received on joining, system notices.
// Every remote string goes through safe() (controls stripped, emoji narrowed, tags escaped) before it is drawn.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import type { ChatLine } from '../../machines/frames.js';
import { colorNick } from '../colors.js';
import { clock } from '../format.js';
import { safe } from '../sanitize.js';

export class MessagesPane {
  readonly log: Widgets.Log;

  constructor(parent: Widgets.Node, position: Pick<Widgets.BoxOptions, 'top' | 'left' | 'width' | 'height'>) {
    this.log = blessed.log({
      parent, ...position, label: ' Messages ', border: { type: 'line' }, tags: true, wrap: true,
      scrollable: true, alwaysScroll: true, scrollback: 2000, mouse: true, keys: true, vi: false,
      scrollbar: { ch: ' ', style: { bg: 'grey' } },
      style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } } },
    } as Widgets.LogOptions);
  }

  private add(line: string): void { this.log.add(line); }

  private stamp(ts: number = Date.now()): string { return `{grey-fg}${clock(ts)}{/grey-fg}`; }

  private nick(name: string, me: string): string {
    return name.toLowerCase() === me.toLowerCase() ? '{bold}you{/bold}' : colorNick(name, safe(name));
  }

  /** A chat message; `me` is our nickname, for the "you -> bob" / "alice -> you" marks. */
  message(from: string, text: string, ts: number, to: string | undefined, me: string): void {
    const body = safe(text);
    if (to === undefined) {
      this.add(`${this.stamp(ts)} ${colorNick(from, safe(from))}: ${body}`);
      return;
    }
    this.add(`${this.stamp(ts)} {magenta-fg}[private]{/magenta-fg} ${this.nick(from, me)} -> ${this.nick(to, me)}: ${body}`);
  }

  history(lines: ChatLine[]): void {
    if (!lines.length) return;
    this.add('{grey-fg}--- history: messages sent before you joined ---{/grey-fg}');
    for (const m of lines) this.add(`${this.stamp(m.ts)} {grey-fg}(history){/grey-fg} ${colorNick(m.from, safe(m.from))}: ${safe(m.text)}`);
    this.add('{grey-fg}--- end of history ---{/grey-fg}');
  }

  /** A notice from the client itself; `text` is tagged and must be safe already. */
  system(text: string): void { this.add(`${this.stamp()} {yellow-fg}*{/yellow-fg} ${text}`); }

  error(code: string, message: string): void {
    this.add(`${this.stamp()} {red-fg}! ${safe(code)}: ${safe(message)}{/red-fg}`);
  }

  /** Multi-line local text (help), shown verbatim. */
  block(text: string): void { for (const l of text.split('\n')) this.add(`{cyan-fg}${safe(l)}{/cyan-fg}`); }

  scroll(pages: number): void {
    const h = Math.max(1, (this.log.height as number) - 2);
    this.log.scroll(pages * h);
    this.log.screen.render();
  }
}
