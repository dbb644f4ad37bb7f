// The dashboard's state charts: the SVGs of docs/charts (generated from the machines), with every state of each
// machine tagged so that the page can light it.
import { expect } from 'chai';
import { CHART_NAMES, chartsDir, loadCharts, prepareSvg } from '../../runtime/dashboard/charts.js';
import { MACHINES } from '../../scripts/charts/machines.js';
import { walkMachine } from '../../scripts/charts/walk.js';

describe('dashboard state charts', () => {
  it('loads the four charts of docs/charts, the session and sender ones marked live', () => {
    const charts = loadCharts();
    expect(charts.map((c) => [c.name, c.live, c.svg !== null])).to.deep.equal([['session', true, true], ['sender', true, true], ['client', false, true], ['receiver', false, true]]);
    expect(CHART_NAMES.map((c) => c.name).sort()).to.deep.equal(MACHINES.map((m) => m.name).sort());
    for (const c of charts) expect(c.svg!.startsWith('<svg'), c.name).to.equal(true);
  });

  it('tags every state of every machine with its id (the ids the actors report)', () => {
    const byName = new Map(loadCharts().map((c) => [c.name, c]));
    for (const m of MACHINES) {
      const chart = walkMachine(m.machine);
      const want = chart.states.filter((s) => s !== chart.root).map((s) => s.id);
      const tagged = new Set(byName.get(m.name)!.states);
      expect(want.filter((id) => !tagged.has(id)), m.name).to.deep.equal([]);
      for (const id of want) expect(byName.get(m.name)!.svg, id).to.include(`data-state="${id}"`);
    }
  });

  it('strips the XML prolog and tags nodes and clusters (cluster_ prefix dropped)', () => {
    const svg = `<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg><g id="clust1" class="cluster">\n<title>cluster_m.a</title></g><g id="node2" class="node">\n<title>m.a.b</title></g></svg>`;
    const out = prepareSvg(svg);
    expect(out.states).to.deep.equal(['m.a', 'm.a.b']);
    expect(out.svg).to.equal('<svg><g id="clust1" class="cluster" data-state="m.a"><title>cluster_m.a</title></g><g id="node2" class="node" data-state="m.a.b"><title>m.a.b</title></g></svg>');
  });

  it('says so when the charts are missing rather than failing', () => {
    expect(chartsDir()).to.be.a('string');
    expect(loadCharts('/nonexistent').map((c) => c.svg)).to.deep.equal([null, null, null, null]);
  });
});
