// For the bench's dashboard rows: the address a `messenger-server --dashboard` logs at start, and a viewer that
// loads the page once and then reads its Server-Sent Events stream (what an open page costs the server).
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';

/** Reads the server's JSON log (stdout) until the dashboard line, and keeps draining it after. */
export function dashboardUrl(proc: ChildProcess, ms = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the server logged no dashboard address')), ms);
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg?.includes('dashboard') && rec.url) { clearTimeout(t); resolve(rec.url); }
      } catch { /* not JSON: ignore */ }
    });
  });
}

export class DashboardViewer {
  bytes = 0;
  pushes = 0;
  private req: http.ClientRequest | null = null;

  constructor(private readonly url: string) {}

  async open(): Promise<void> {
    const page = await fetch(this.url);
    this.bytes += (await page.text()).length;
    await new Promise<void>((resolve, reject) => {
      this.req = http.get(this.url.replace('/?', '/events?'), (res) => {
        if (res.statusCode !== 200) { reject(new Error(`dashboard events: HTTP ${res.statusCode}`)); return; }
        res.on('data', (c: Buffer) => { this.bytes += c.length; this.pushes += c.toString('latin1').split('\n\n').length - 1; });
        resolve();
      });
      this.req.on('error', reject);
    });
  }

  close(): void { this.req?.destroy(); }
}
