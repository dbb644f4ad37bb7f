// `--dashboard [HOST:]PORT`: the address forms.
import { expect } from 'chai';
import { CliError } from '../../runtime/cli-args.js';
import { parseDashboardAddress } from '../../runtime/dashboard/index.js';

describe('dashboard address (--dashboard [HOST:]PORT)', () => {
  it('takes PORT (on 127.0.0.1), HOST:PORT and [IPv6]:PORT', () => {
    expect(parseDashboardAddress('8080')).to.deep.equal({ host: '127.0.0.1', port: 8080 });
    expect(parseDashboardAddress('0')).to.deep.equal({ host: '127.0.0.1', port: 0 });
    expect(parseDashboardAddress('0.0.0.0:9000')).to.deep.equal({ host: '0.0.0.0', port: 9000 });
    expect(parseDashboardAddress('dash.local:80')).to.deep.equal({ host: 'dash.local', port: 80 });
    expect(parseDashboardAddress('[::1]:8080')).to.deep.equal({ host: '::1', port: 8080 });
  });

  it('refuses anything else with a clear message', () => {
    for (const bad of ['', 'http', ':80', '::1:80', 'host:99999', 'host:', '[::1]']) {
      expect(() => parseDashboardAddress(bad), bad).to.throw(CliError, /--dashboard/);
    }
  });
});
