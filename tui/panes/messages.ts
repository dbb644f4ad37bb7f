// The message pane: chat, private messages (marked both ways), history received on joining, system notices.
// Every remote string goes through safe() (controls stripped, emoji narrowed, tags escaped) before it is drawn.
//
// Not a blessed Log: Log.add re-joins the lines it already parsed and parses them again, so an escaped "{bold}"
// turns into markup as soon as the next line arrives. Here the pane keeps its own bounded list of tagged source
// lines (remote parts escaped once) and renders all of it with setContent, which parses each line exactly once.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import type { ErrorCode } from '../../machines/errors.js';
import type { ChatLine } from '../../machines/frames.js';
import { colorNick } from '../colors.js';
import { clock } from '../format.js';
import { safe } from '../sanitize.js';

/** blessed's scroll state (not in @types/blessed). */
interface ScrollState { childBase: number; _clines: { length: number }; iheight: number }

export class MessagesPane {
  readonly log: Widgets.BoxElement;
  private readonly lines: string[] = [];
  /** Stay at the newest line (false once the user scrolled up, true again when they scroll back down). */
  private follow = true;

  constructor(parent: Widgets.Node, position: Pick<Widgets.BoxOptions, 'top' | 'left' | 'width' | 'height'>, private readonly scrollback = 2000) {
    this.log = blessed.box({
      parent, ...position, label: ' Messages ', border: { type: 'line' }, tags: true, wrap: true,
      scrollable: true, alwaysScroll: true, mouse: true, keys: true, vi: false,
      scrollbar: { ch: ' ', style: { bg: 'grey' } },
      style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } } },
    } as Widgets.BoxOptions);
    // every scroll (keys, wheel, scrollbar, PgUp/PgDn) decides whether new lines keep the view at the bottom
    const box = this.log as unknown as { scroll: (offset: number, always?: boolean) => unknown };
    const scroll = box.scroll.bind(this.log);
    box.scroll = (offset, always) => {
      const r = scroll(offset, always);
      if (offset !== 0) this.follow = this.atBottom();
      return r;
    };
  }

  private atBottom(): boolean {
    const s = this.log as unknown as ScrollState;
    const visible = Math.max(1, (this.log.height as number) - s.iheight);
    return s.childBase + visible >= s._clines.length;
  }

  private add(...lines: string[]): void {
    this.lines.push(...lines);
    if (this.lines.length > this.scrollback) this.lines.splice(0, this.lines.length - this.scrollback);
    this.redraw();
  }

  /** Renders the held lines; keeps the newest line in view unless the user scrolled up. Also after a resize. */
  redraw(): void {
    const follow = this.follow;
    this.log.setContent(this.lines.join('\n'));
    if (follow) { this.log.setScrollPerc(100); this.follow = true; }
    this.log.screen.render();
  }

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

  /** A line of history, dimmed: replayed, not live. */
  private replayed(m: ChatLine): string {
    const to = m.to !== undefined ? ` -> ${safe(m.to)} [private, kept while you were away]` : '';
    return `{grey-fg}${clock(m.ts)} (history) ${safe(m.from)}${to}: ${safe(m.text)}{/grey-fg}`;
  }

  /** The replay at login: dimmed lines above a "live" separator. */
  history(lines: ChatLine[]): void {
    if (!lines.length) return;
    this.add(
      '{grey-fg}--- history: messages sent before you joined (PgUp at the top for older ones) ---{/grey-fg}',
      ...lines.map((m) => this.replayed(m)),
      '{grey-fg}------------------------------- live -------------------------------{/grey-fg}',
    );
  }

  /** The first line is in view: PgUp here asks for older history. */
  atTop(): boolean { return (this.log as unknown as ScrollState).childBase <= 0; }

  /** An older page of history (from /history or PgUp at the top), put above everything, the view kept on it. */
  older(lines: ChatLine[]): void {
    const top = lines.length
      ? lines.map((m) => this.replayed(m))
      : ['{grey-fg}--- the beginning of the history: nothing older is kept ---{/grey-fg}'];
    this.lines.unshift(...top);
    this.follow = false;
    this.log.setContent(this.lines.join('\n'));
    const h = Math.max(1, (this.log.height as number) - 2);
    this.log.scrollTo(Math.max(0, top.length - h));
    this.log.screen.render();
  }

  /** A notice from the client itself; `text` is tagged and must be safe already. */
  system(text: string): void { this.add(`${this.stamp()} {yellow-fg}*{/yellow-fg} ${text}`); }

  error(code: ErrorCode, message: string): void {
    this.add(`${this.stamp()} {red-fg}! ${safe(code)}: ${safe(message)}{/red-fg}`);
  }

  /** Multi-line local text (help), shown verbatim: one line each, wrapped by the pane where it does not fit. */
  block(text: string): void { this.add(...text.split('\n').map((l) => `{cyan-fg}${safe(l)}{/cyan-fg}`)); }

  scroll(pages: number): void {
    const h = Math.max(1, (this.log.height as number) - 2);
    this.log.scroll(pages * h);
    this.log.screen.render();
  }
}
