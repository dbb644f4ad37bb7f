// Picks a congestion controller by name.
import type { CongestionControlName } from '../api.js';
import type { CongestionController } from './controller.js';
import { NewReno } from './new-reno.js';
import { Cubic } from './cubic.js';
import { Bbr } from './bbr.js';

export interface ControllerConfig { maxDatagram: number; now: number }

export function createController(name: CongestionControlName, cfg: ControllerConfig): CongestionController {
  switch (name) {
    case 'newreno': return new NewReno(cfg.maxDatagram);
    case 'cubic': return new Cubic(cfg.maxDatagram);
    case 'bbr': return new Bbr(cfg.maxDatagram, cfg.now);
  }
}
